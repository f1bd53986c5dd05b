// Which errors end one image of a batch (the user's: a bad file, a setting the image cannot take)
// and which end the batch (anything else is a bug, or the device gone).

import { flagFor } from '../plan/settings.js';
import { OptionError, optionMessage, UserError } from '../util/errors.js';

/** The line to record for an image that failed on its own account; null for an error that must end the batch. */
export function userErrorMessage(err: unknown): string | null {
  if (err instanceof OptionError) return optionMessage(err, flagFor);
  if (err instanceof UserError) return err.message;
  return null;
}
