// Where a GitHub Pages site lives, from the repository's name: `<owner>.github.io` is the user or
// organisation site, served at the root ("/"); any other repository is a project site, served
// under "/<repo>/". Plain Node, no dependencies.
//   node scripts/pages-base.mjs owner/repo     prints the base (the Pages workflow's NYALA_BASE)
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function pagesBase(repository) {
  const [owner, repo] = String(repository).split('/');
  if (!owner || !repo) throw new Error(`expected owner/repo, got "${repository}"`);
  return repo.toLowerCase() === `${owner.toLowerCase()}.github.io` ? '/' : `/${repo}/`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    console.log(pagesBase(process.argv[2] ?? process.env.GITHUB_REPOSITORY));
  } catch (err) {
    console.error(`pages-base: ${err.message}`);
    process.exit(1);
  }
}
