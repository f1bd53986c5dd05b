// Errors that are the user's to fix (bad input, missing files, a wrong setting): the CLI prints
// their message alone, without a stack trace, and exits with status 2.

export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
