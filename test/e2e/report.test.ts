import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ReportData } from '../../src/core/report/data.js';
import { runBin } from '../helpers/cli.js';
import { useEmulator } from '../helpers/emulator.js';
import { tempDir, writeText } from '../helpers/files.js';
import { references, reportBlock } from '../helpers/report.js';

// `report` from the built binary against the emulator: a batch, a job and a results file each
// give one HTML file that refers to nothing outside it; then headless Chromium opens them from
// disk with the network cut and checks what a person would see.
const ctx = useEmulator({ processingTimeMs: 200 });
const dir = tempDir();
const ROOT = join(import.meta.dirname, '..', '..');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
const HOSTILE = '</script><img src=x onerror=alert(1)>';
if (!HAS_CHROMIUM) {
  console.warn(
    `report.test.ts: the browser test is skipped: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set CHROMIUM_PATH)`,
  );
}

const csv = `${readFileSync(join(ROOT, 'examples', 'reviews.csv'), 'utf8').trimEnd()}\nr031,Hostile,1,"${HOSTILE} surprise"\n`;
const SOURCE = [
  'csv',
  'data.csv',
  '--prompt-column',
  'text',
  '--id-column',
  'review_id',
  '--max-tokens',
  '22',
];

async function cb(argv: string[]) {
  const result = await runBin(argv, { env: ctx.env, cwd: dir, timeoutMs: 30_000 });
  expect(result.stderr).not.toMatch(/^error:/m);
  expect(result.code).toBe(0);
  return result;
}

/** Runs a command that must add exactly one file, `name`, to the folder; returns the page. */
async function writesOnlyThis(argv: string[], name: string): Promise<string> {
  const before = new Set(readdirSync(dir));
  await cb(argv);
  expect(readdirSync(dir).filter((f) => !before.has(f))).toEqual([name]);
  return readFileSync(join(dir, name), 'utf8');
}

function checkPage(html: string): ReportData {
  expect(references(html)).toEqual([]);
  expect(html).not.toMatch(/https?:/);
  expect(html).not.toContain('<img');
  const data = reportBlock(html, 'report-data') as ReportData;
  expect(data.counts).toMatchObject({ total: 31, succeeded: 30, errored: 1 });
  expect(data.stop_reasons.map((s) => s.stop_reason).sort()).toEqual(['end_turn', 'max_tokens']);
  return data;
}

describe('report from the built binary', () => {
  it('of a batch, a results file (joined) and a job: one self-contained HTML file each', async () => {
    writeText(dir, 'data.csv', csv);
    await cb(['build', ...SOURCE, '-o', 'requests.jsonl']);
    const id = (await cb(['submit', 'requests.jsonl'])).stdout.trim();
    await cb(['monitor', id, '--interval', '100ms', '--results', 'results.jsonl']);

    const batch = checkPage(await writesOnlyThis(['report', id, '-o', 'batch.html'], 'batch.html'));
    expect(batch.source).toMatchObject({ kind: 'batch', batch_ids: [id] });
    expect(batch.source.ended_at).not.toBeNull();
    expect(batch.table.columns).toEqual([]);

    const file = checkPage(
      await writesOnlyThis(
        ['report', 'results.jsonl', '--join', 'data.csv', '--requests', 'requests.jsonl', '-o', 'file.html'],
        'file.html',
      ),
    );
    expect(file.table.columns).toEqual(['review_id', 'product', 'rating', 'text']);
    expect(file.join).toMatchObject({ input: 'data.csv', rows: 31, without_result: 0 });

    await cb(['run', ...SOURCE, '--state', 'reviews-job', '--interval', '100ms']);
    const job = checkPage(await writesOnlyThis(['report', 'reviews-job', '-o', 'job.html'], 'job.html'));
    expect(job.source).toMatchObject({ kind: 'job', job_id: 'reviews-job' });
    // The job was run from data.csv: its report joins it by itself.
    expect(job.table.columns).toEqual(['review_id', 'product', 'rating', 'text']);
    expect(job.join?.input).toBe('data.csv');
    const rows = reportBlock(readFileSync(join(dir, 'job.html'), 'utf8'), 'report-rows') as unknown[][];
    expect(rows[0]?.[0]).toBe('r001');
    expect(String(rows[30]?.[5])).toContain(HOSTILE);
  });

  it('monitor --report and run --report write it when they finish', async () => {
    const id = (await cb(['submit', 'requests.jsonl'])).stdout.trim();
    const monitor = await cb(['monitor', id, '--interval', '100ms', '--report', 'monitor.html']);
    expect(monitor.stderr).toContain('Wrote monitor.html');
    checkPage(readFileSync(join(dir, 'monitor.html'), 'utf8'));
    await cb(['run', ...SOURCE, '--state', 'reviews-job', '--interval', '100ms', '--report', 'run.html']);
    expect(checkPage(readFileSync(join(dir, 'run.html'), 'utf8')).table.columns).toHaveLength(4);
  });

  it('structured answers (--schema): per-field summaries and the invalid answer, from --requests and from a job', async () => {
    const feedback = readFileSync(join(ROOT, 'examples', 'feedback.csv'), 'utf8')
      .split('\n')
      .map((line) => line.replace(/,[^,]*$/, ''))
      .join('\n')
      .trimEnd();
    writeText(dir, 'feedback.csv', `${feedback}\nf5,"EMULATE_INVALID_OUTPUT please"\n`);
    writeText(dir, 'schema.json', readFileSync(join(ROOT, 'examples', 'feedback-schema.json'), 'utf8'));
    const source = [
      'csv',
      'feedback.csv',
      '--prompt-column',
      'text',
      '--id-column',
      'id',
      '--schema',
      'schema.json',
    ];
    await cb(['build', ...source, '-o', 'feedback-requests.jsonl']);
    const id = (await cb(['submit', 'feedback-requests.jsonl'])).stdout.trim();
    await cb(['monitor', id, '--interval', '100ms', '--results', 'feedback-results.jsonl']);
    const written = await cb([
      'report',
      'feedback-results.jsonl',
      '--requests',
      'feedback-requests.jsonl',
      '-o',
      'structured.html',
    ]);
    expect(written.stderr).toContain('Structured answers: 5 checked · 1 invalid');
    const html = readFileSync(join(dir, 'structured.html'), 'utf8');
    expect(references(html)).toEqual([]);
    const data = reportBlock(html, 'report-data') as ReportData;
    const outputs = data.outputs;
    expect(outputs).toMatchObject({ checked: 5, valid: 4, invalid: 1, tools: null });
    expect(outputs?.invalid_examples).toEqual([
      { custom_id: 'f5', reason: expect.stringMatching(/^does not match the schema: /) },
    ]);
    expect(outputs?.fields.map((f) => f.name)).toEqual([
      'sentiment',
      'rating',
      'issues',
      'needs_reply',
      'summary',
    ]);
    // The emulator's answers follow the schema: every valid answer has every (required) field.
    for (const f of outputs?.fields ?? []) expect([f.name, f.present, f.missing]).toEqual([f.name, 4, 0]);
    const [sentiment, rating, , needsReply] = outputs?.fields ?? [];
    for (const v of sentiment?.values ?? []) expect(['positive', 'neutral', 'negative']).toContain(v.value);
    expect(rating?.numbers?.count).toBe(4);
    for (const v of needsReply?.values ?? []) expect(['true', 'false']).toContain(v.value);
    const rows = reportBlock(html, 'report-rows') as unknown[][];
    expect(rows.filter((r) => typeof r[9] === 'string').map((r) => r[0])).toEqual(['f5']);

    // A job's report reads what was asked from the job's own request files.
    await cb(['run', ...source, '--state', 'feedback-job', '--interval', '100ms']);
    const job = await writesOnlyThis(
      ['report', 'feedback-job', '-o', 'feedback-job.html'],
      'feedback-job.html',
    );
    expect((reportBlock(job, 'report-data') as ReportData).outputs).toMatchObject({ checked: 5, invalid: 1 });
  });

  it(`in headless Chromium, offline: counts, search, max_tokens filter, the hostile answer as text${HAS_CHROMIUM ? '' : ` (skipped: no browser at ${CHROMIUM}; install Debian's chromium package or set CHROMIUM_PATH)`}`, {
    skip: !HAS_CHROMIUM,
    timeout: 60_000,
  }, async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 1600 }, offline: true });
      const outside: string[] = [];
      await context.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith('file:')) return route.continue();
        outside.push(url);
        return route.abort();
      });
      const page = await context.newPage();
      const problems: string[] = [];
      let dialogs = 0;
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(String(e)));
      page.on('dialog', (d) => {
        dialogs += 1;
        void d.dismiss();
      });
      for (const name of ['batch.html', 'file.html', 'job.html']) {
        const html = readFileSync(join(dir, name), 'utf8');
        const data = reportBlock(html, 'report-data') as ReportData;
        await page.goto(pathToFileURL(join(dir, name)).href);
        await page.waitForSelector('html[data-ready=true]');
        expect(await page.textContent('#match-count')).toBe('31 of 31 rows');
        expect(await page.textContent('[data-type=succeeded]')).toBe('succeeded 30 (96.8%)');
        expect(await page.textContent('[data-type=errored]')).toBe('errored 1 (3.2%)');
        expect(await page.textContent('#cost-batch')).toBe(data.cost.batch_text);

        await page.fill('#search', 'r017');
        await expect.poll(() => page.textContent('#match-count')).toBe('1 of 31 rows');
        expect(await page.textContent('#row-body')).toContain('Good grip');

        await page.fill('#search', 'onerror');
        await expect.poll(() => page.textContent('#row-body')).toContain('onerror');
        expect(await page.textContent('#match-count')).toBe('1 of 31 rows');
        expect(await page.textContent('#row-body')).toContain(HOSTILE);
        expect(await page.locator('#app img').count()).toBe(0);

        await page.click('[data-stop=max_tokens]');
        const maxTokens = data.stop_reasons.find((s) => s.stop_reason === 'max_tokens')?.count ?? 0;
        await expect.poll(() => page.textContent('#match-count')).toBe(`${maxTokens} of 31 rows`);
        expect(await page.inputValue('#filter-stop')).toBe('max_tokens');
      }
      // Structured answers: a field's summary, and the invalid answers one click away.
      const structured = reportBlock(
        readFileSync(join(dir, 'structured.html'), 'utf8'),
        'report-data',
      ) as ReportData;
      await page.goto(pathToFileURL(join(dir, 'structured.html')).href);
      await page.waitForSelector('html[data-ready=true]');
      expect(await page.textContent('#outputs h2')).toBe('Structured answers: 5 checked · 1 invalid');
      const sentiment = structured.outputs?.fields[0];
      const box = page.locator('[data-field=sentiment]');
      expect(await box.locator('h3').textContent()).toBe('sentiment');
      expect(await box.locator('.muted').first().textContent()).toBe('4 with a value · 0 missing');
      expect(await box.locator('tbody tr').allTextContents()).toEqual(
        (sentiment?.values ?? []).map((v) => `${v.value}${v.count}${((100 * v.count) / 4).toFixed(1)}%`),
      );
      expect(await page.locator('[data-field=rating] svg rect.bin').count()).toBe(
        structured.outputs?.fields[1]?.numbers?.bins.length,
      );
      expect(await page.textContent('#invalid')).toContain('f5');
      expect(await page.textContent('#match-count')).toBe('5 of 5 rows');
      await page.click('#show-invalid');
      await expect.poll(() => page.textContent('#match-count')).toBe('1 of 5 rows');
      expect(await page.inputValue('#filter-output')).toBe('invalid');
      expect(await page.textContent('#row-body')).toContain('does not match the schema');
      await page.selectOption('#filter-output', '');
      await expect.poll(() => page.textContent('#match-count')).toBe('5 of 5 rows');

      await page.waitForTimeout(200);
      expect(dialogs).toBe(0);
      expect(problems).toEqual([]);
      expect(outside).toEqual([]);

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.goto(pathToFileURL(join(dir, 'job.html')).href);
      await page.waitForSelector('html[data-ready=true]');
      const shot = { path: join(ARTIFACTS, 'report.png'), clip: { x: 0, y: 0, width: 1280, height: 1600 } };
      await page.screenshot(shot);
      if (process.env.UPDATE_SCREENSHOT === '1')
        await page.screenshot({ ...shot, path: join(ROOT, 'docs', 'report.png') });
      const background = () => page.evaluate('getComputedStyle(document.body).backgroundColor');
      expect(await background()).toBe('rgb(255, 255, 255)');
      await page.emulateMedia({ colorScheme: 'dark' });
      expect(await background()).not.toBe('rgb(255, 255, 255)');
      await page.screenshot({ ...shot, path: join(ARTIFACTS, 'report-dark.png') });
      // Printed light whatever the system's scheme, without the controls.
      await page.emulateMedia({ media: 'print' });
      expect(await background()).toBe('rgb(255, 255, 255)');
      expect(await page.isVisible('.controls')).toBe(false);
      await page.pdf({ path: join(ARTIFACTS, 'report.pdf') });
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
