import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';

const variants = {
  current: {
    bom: true,
    delimiter: ',',
    record_delimiter: ['\r\n', '\n', '\r'],
    relax_column_count: true,
    relax_quotes: false,
  },
  auto: { bom: true, delimiter: ',', relax_column_count: true },
  lf: { bom: true, delimiter: ',', record_delimiter: ['\n'], relax_column_count: true },
};
const v = variants[process.argv[2]];
const t0 = performance.now();
let n = 0;
const p = createReadStream('bench/data/reviews-100000.csv', { highWaterMark: 1 << 16 }).pipe(parse(v));
for await (const r of p) n++;
console.log(process.argv[2], n, (performance.now() - t0).toFixed(0), 'ms');
