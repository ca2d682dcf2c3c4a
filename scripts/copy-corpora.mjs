// For a GPU machine that gets only the checkout: copies the textbook corpora from ../shared/data into .gpu/data
// (git-ignored, carried with .gpu), where `train --preset` finds them. Never into tracked files.
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';

mkdirSync('.gpu/data', { recursive: true });
for (const name of ['jaychou_lyrics.txt', 'timemachine.txt']) {
  const from = `../shared/data/${name}`;
  if (existsSync(from)) {
    copyFileSync(from, `.gpu/data/${name}`);
    console.log(`copied ${from} -> .gpu/data/${name}`);
  } else {
    console.log(`not found: ${from} (the presets that need it will say so)`);
  }
}
