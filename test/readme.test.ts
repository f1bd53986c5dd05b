// The README is the front door, and it must stay true: its options table is the one
// scripts/options-table.ts makes from the declarations, its library example typechecks against
// src/index.ts, its quick start names images the repository has, and every link and anchor in it
// and in docs/ leads somewhere, as does every repository path they name in code.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { BEGIN, END, optionsTable } from '../scripts/options-table.js';
import { REPO_ROOT } from './helpers/shared.js';

const MAX_README_LINES = 200;
const MAX_EXAMPLE_BYTES = 200 * 1024;
const read = (file: string) => readFileSync(join(REPO_ROOT, file), 'utf8');
const readme = read('README.md');
/** The pages checked for links: the README, docs/, and the other READMEs in the repository. */
const PAGES = [
  'README.md',
  ...readdirSync(join(REPO_ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
  'examples/README.md',
  'weights/README.md',
];

/** The fenced blocks of a markdown text in a language. */
function fenced(text: string, lang: string): string[] {
  return [...text.matchAll(new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```$', 'gm'))].map((m) => m[1]!);
}

describe('README.md', () => {
  it(`is at most ${MAX_README_LINES} lines`, () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(MAX_README_LINES);
  });

  it('holds the options table made from the declarations (npm run docs:options writes it)', () => {
    const begin = readme.indexOf(BEGIN);
    const end = readme.indexOf(END);
    expect(begin, `README.md needs the markers ${BEGIN} and ${END}`).toBeGreaterThanOrEqual(0);
    expect(end).toBeGreaterThan(begin);
    const copy = readme.slice(begin + BEGIN.length, end).trim();
    expect(copy, "README.md's options table differs from the declarations: run npm run docs:options").toBe(optionsTable());
  });

  it('has a library example that typechecks against src/index.ts', () => {
    const blocks = fenced(readme, 'ts');
    expect(blocks.length).toBeGreaterThan(0);
    for (const block of blocks) expect(typeErrors(block), block).toEqual([]);
  });

  it("runs its quick start on the repository's own images, each under 200 KB, with their source and licence", () => {
    const quickStart = fenced(readme, 'sh')[0]!;
    const images = [...quickStart.matchAll(/examples\/[\w.-]+\.(?:jpg|png)/g)].map((m) => m[0]);
    expect(images.length).toBe(2);
    const notice = read('examples/README.md');
    for (const image of images) {
      expect(statSync(join(REPO_ROOT, image)).size, image).toBeLessThanOrEqual(MAX_EXAMPLE_BYTES);
      expect(notice, `examples/README.md must name ${image}'s source and licence`).toContain(image.slice('examples/'.length));
    }
    expect(quickStart).not.toContain('../shared');
  });

  it("names every folder of src in its layout, and no other, in the layering test's order", () => {
    const layout = readme.slice(readme.indexOf('## Layout'));
    const listed = [...layout.matchAll(/^src\/(\w+)\/ /gm)].map((m) => m[1]!);
    const folders = readdirSync(join(REPO_ROOT, 'src'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    expect([...listed].sort()).toEqual([...folders].sort());
    const rank = layersRank();
    const ranks = listed.map((folder) => rank[folder]);
    expect(ranks, `the layout lists ${listed.join(', ')}: top (cli) first`).toEqual([...ranks].sort((a, b) => b! - a!));
  });
});

/** RANK in test/layers.test.ts (folder: height), read from its source so that the order is written once. */
function layersRank(): Record<string, number> {
  const table = /const RANK[^{]*\{([^}]*)\}/.exec(read('test/layers.test.ts'))![1]!;
  return Object.fromEntries([...table.matchAll(/'?([\w.]+)'?: (\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
}

describe('links', () => {
  it('every relative link and anchor leads to a file and a heading that exist', () => {
    const broken: string[] = [];
    for (const page of PAGES) {
      const dir = page.includes('/') ? page.slice(0, page.lastIndexOf('/')) : '.';
      for (const [, target] of read(page).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const [path, anchor] = target!.split('#') as [string, string | undefined];
        const file = path === '' ? page : join(dir, path);
        if (!existsSync(join(REPO_ROOT, file))) broken.push(`${page}: ${target} (no file ${file})`);
        else if (anchor !== undefined && !anchors(read(file)).has(anchor))
          broken.push(`${page}: ${target} (no heading #${anchor} in ${file})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('every repository path named in code exists', () => {
    const missing: string[] = [];
    for (const page of PAGES) {
      for (const [, path] of read(page).matchAll(/`((?:src|test|bench|scripts|shaders|docs|examples|weights)\/[\w./-]*)`/g)) {
        if (path!.startsWith('bench/results/')) continue; // written by the benchmarks, not kept
        if (!existsSync(join(REPO_ROOT, path!))) missing.push(`${page}: ${path}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

/** GitHub's anchors for a page's headings: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const found = new Set<string>();
  for (const [, heading] of text.replace(/^```[\s\S]*?^```$/gm, '').matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = heading!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    found.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return found;
}

/** Type errors of a snippet that imports 'wgpu-style', checked as a module of this package against src/index.ts. */
function typeErrors(source: string): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(REPO_ROOT, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  )!;
  const options = { ...config.options, noEmit: true, noUnusedLocals: false, paths: { 'wgpu-style': [join(REPO_ROOT, 'src/index.ts')] } };
  const snippet = join(REPO_ROOT, 'examples', 'readme-snippet.ts'); // never written: the host serves it
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (file, language, ...rest) =>
    file === snippet ? ts.createSourceFile(file, source, language) : getSourceFile(file, language, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (file) => file === snippet || fileExists(file);
  const program = ts.createProgram([snippet], options, host);
  const file = program.getSourceFile(snippet)!;
  return [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)].map((d) => {
    const at = d.start === undefined ? '' : `line ${file.getLineAndCharacterOfPosition(d.start).line + 1}: `;
    return at + ts.flattenDiagnosticMessageText(d.messageText, '\n');
  });
}
