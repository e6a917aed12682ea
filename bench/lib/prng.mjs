/**
 * A small seeded PRNG (mulberry32) and a review-like text generator: the same seed gives the
 * same bytes on every machine, so every run of the bench measures the same data.
 */

/** Returns a function giving uniform floats in [0, 1) from a 32-bit seed. */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = `the this it was is and but very really quite not too so a an of to in for with on at my
our their product item order delivery package box quality price value size colour color fit battery
screen sound charger cable handle lid strap zipper fabric stitching smell taste texture instructions
manual setup app firmware update support seller refund return replacement warranty week month day
year morning after before since because although however overall honestly frankly great good fine
decent okay poor bad terrible awful excellent amazing perfect broken cheap flimsy sturdy solid light
heavy small large comfortable loud quiet fast slow late early arrived works worked stopped failed
broke love loved like liked hate recommend would wouldn't could should expected hoped bought ordered
used tried returned kept gave received opened charged cleaned washed assembled installed again still
never always sometimes almost exactly just only even also every first second last next little lot
much more less better worse best worst happy disappointed satisfied annoyed surprised impressed
kitchen kids dog garden office travel gym car bathroom bedroom camping gift husband wife daughter son`
  .split(/\s+/)
  .filter(Boolean);

const CLOSERS = ['.', '.', '.', '!', '?', '...'];

/** Builds review-like prose of about `length` characters (sentences, commas, some quotes). */
export function reviewText(rand, length) {
  let out = '';
  while (out.length < length) {
    const n = 5 + Math.floor(rand() * 14);
    let sentence = '';
    for (let i = 0; i < n; i += 1) {
      const w = WORDS[Math.floor(rand() * WORDS.length)];
      sentence += i === 0 ? w[0].toUpperCase() + w.slice(1) : ` ${w}`;
      if (i > 1 && i < n - 1 && rand() < 0.08) sentence += ',';
    }
    if (rand() < 0.04) sentence += ` "${WORDS[Math.floor(rand() * WORDS.length)]}"`;
    sentence += CLOSERS[Math.floor(rand() * CLOSERS.length)];
    out += out.length === 0 ? sentence : ` ${sentence}`;
  }
  return out;
}

/** Exactly `length` characters of ASCII prose (for request files of a precise size). */
export function exactText(rand, length) {
  return reviewText(rand, length).slice(0, length);
}
