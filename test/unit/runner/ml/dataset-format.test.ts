import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { InvalidInputError } from '../../../../gateway/src/common/errors';
import { datasetToCsv } from '../../../../gateway/src/runner/ml/dataset-format';

type WriteOptions = Parameters<typeof import('hyparquet-writer').parquetWriteBuffer>[0];

async function parquet(options: WriteOptions): Promise<Uint8Array> {
  const { parquetWriteBuffer } = await import('hyparquet-writer');
  return new Uint8Array(parquetWriteBuffer(options));
}

const utf8 = (text: string) => new TextEncoder().encode(text);

describe('datasetToCsv: Parquet', () => {
  const day = (iso: string) => new Date(`${iso}T00:00:00Z`);
  const columnData: WriteOptions['columnData'] = [
    { name: 'id', data: [1, 2, 3, 4] },
    { name: 'name', data: ['plain', 'with, comma', 'say "hi"\nnew line', null] },
    { name: 'score', data: [1.5, null, -0.25, 1e21] },
    { name: 'big', data: [9007199254740993n, -5n, null, 0n] },
    { name: 'flag', data: [true, false, null, true] },
    { name: 'day', data: [day('2024-02-29'), day('1999-12-31'), null, day('1970-01-01')] },
    { name: 'seen', data: [new Date('2024-03-01T12:34:56.789Z'), null, new Date(0), new Date('2030-01-01T00:00:00Z')] },
    { name: 'extra', data: [{ a: 1, tags: ['x', 'y'] }, null, [1, 2], 'text'] },
  ];
  const schema: WriteOptions['schema'] = [
    { name: 'root', num_children: 8 },
    { name: 'id', type: 'INT32', repetition_type: 'REQUIRED' },
    { name: 'name', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
    { name: 'score', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
    { name: 'big', type: 'INT64', repetition_type: 'OPTIONAL' },
    { name: 'flag', type: 'BOOLEAN', repetition_type: 'OPTIONAL' },
    { name: 'day', type: 'INT32', converted_type: 'DATE', repetition_type: 'OPTIONAL' },
    { name: 'seen', type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', repetition_type: 'OPTIONAL' },
    { name: 'extra', type: 'BYTE_ARRAY', converted_type: 'JSON', repetition_type: 'OPTIONAL' },
  ];
  const expected = [
    'id,name,score,big,flag,day,seen,extra',
    '1,plain,1.5,9007199254740993,true,2024-02-29,2024-03-01T12:34:56.789Z,"{""a"":1,""tags"":[""x"",""y""]}"',
    '2,"with, comma",,-5,false,1999-12-31,,',
    '3,"say ""hi""\nnew line",-0.25,,,,1970-01-01T00:00:00.000Z,"[1,2]"',
    '4,,1e+21,0,true,1970-01-01,2030-01-01T00:00:00.000Z,text',
    '',
  ].join('\n');

  test('converts every column type, with CSV quoting, empty nulls, ISO dates and exact bigints', async () => {
    const bytes = await parquet({ columnData, schema });
    const dataset = await datasetToCsv(bytes, 'data/sales.parquet');
    expect(dataset.columns).toEqual(['id', 'name', 'score', 'big', 'flag', 'day', 'seen', 'extra']);
    expect(dataset.rows).toBe(4);
    expect(dataset.csv).toBe(expected);
  });

  test('reads compressed files (GZIP here) and several row groups, from a view into a larger buffer', async () => {
    const bytes = await parquet({ columnData, schema, codec: 'GZIP', compressors: { GZIP: (input) => gzipSync(input) }, rowGroupSize: 3 });
    const padded = new Uint8Array(bytes.byteLength + 16);
    padded.set(bytes, 8);
    const dataset = await datasetToCsv(padded.subarray(8, 8 + bytes.byteLength), 'SALES.PARQUET');
    expect(dataset.csv).toBe(expected);
  });

  test('quotes column names and keeps empty strings apart from nulls', async () => {
    const bytes = await parquet({
      columnData: [
        { name: 'first, last', data: ['', null, 'a'], type: 'STRING' },
        { name: 'x', data: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY], type: 'DOUBLE' },
      ],
    });
    const dataset = await datasetToCsv(bytes, 'odd.parquet');
    expect(dataset.columns).toEqual(['first, last', 'x']);
    expect(dataset.csv).toBe('"first, last",x\n"",\n,inf\na,-inf\n');
  });

  test('pandas reads the converted CSV back as the same table', async () => {
    const bytes = await parquet({ columnData, schema });
    const dir = mkdtempSync(join(tmpdir(), 'berth-dataset-'));
    try {
      writeFileSync(join(dir, 'data.csv'), (await datasetToCsv(bytes, 'data.parquet')).csv);
      const script = [
        'import json, pandas as pd',
        "df = pd.read_csv('data.csv')",
        "print(json.dumps({'shape': list(df.shape), 'name': df['name'].tolist()[:3], 'big': int(df['big'][1]), 'flag': df['flag'].tolist()[:2], 'day': df['day'][0]}))",
      ].join('\n');
      const proc = spawnSync('/usr/bin/python3', ['-c', script], { cwd: dir, encoding: 'utf8' });
      expect(proc.stderr).toBe('');
      expect(JSON.parse(proc.stdout)).toEqual({
        shape: [4, 8],
        name: ['plain', 'with, comma', 'say "hi"\nnew line'],
        big: -5,
        flag: [true, false],
        day: '2024-02-29',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a file that is not Parquet, or is cut short, is refused with what to do', async () => {
    await expect(datasetToCsv(utf8('a,b\n1,2\n'), 'data.parquet')).rejects.toThrow(
      new InvalidInputError('dataset data.parquet is not a Parquet file (no PAR1 markers): upload the .parquet file itself, or a CSV file'),
    );
    const bytes = await parquet({ columnData, schema });
    const broken = new Uint8Array(bytes);
    broken.fill(0, 4, bytes.byteLength - 8);
    const error = await datasetToCsv(broken, 'broken.parquet').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toMatch(
      /^dataset broken\.parquet could not be read as Parquet \(.+\): check the file, or convert it to CSV$/,
    );
  });
});

describe('datasetToCsv: CSV and other files', () => {
  test('CSV comes back unchanged, its records counted with quoted line breaks and blank lines', async () => {
    const text = '\uFEFFid,"note, long",y\r\n1,"two\nlines",3\r\n\r\n2,"say ""x""",4\r\n';
    const dataset = await datasetToCsv(utf8(text), 'train.CSV');
    expect(dataset).toEqual({ csv: text, rows: 2, columns: ['id', 'note, long', 'y'] });
  });

  test('a CSV without a final line break, or with a header only, or empty', async () => {
    expect(await datasetToCsv(utf8('a,b\n1,2'), 'x.csv')).toMatchObject({ rows: 1, columns: ['a', 'b'] });
    expect(await datasetToCsv(utf8('a,b\n'), 'x.csv')).toMatchObject({ rows: 0, columns: ['a', 'b'] });
    expect(await datasetToCsv(new Uint8Array(0), 'x.csv')).toEqual({ csv: '', rows: 0, columns: [] });
  });

  test('CSV that is not UTF-8 and other formats are refused', async () => {
    await expect(datasetToCsv(new Uint8Array([0x61, 0x0a, 0xe9, 0x0a]), 'latin1.csv')).rejects.toThrow(
      'dataset latin1.csv is not UTF-8 text: save the CSV file as UTF-8',
    );
    await expect(datasetToCsv(utf8('x'), 'book.xlsx')).rejects.toThrow(
      'dataset book.xlsx: unsupported format .xlsx: use a .csv or .parquet file',
    );
    await expect(datasetToCsv(utf8('x'), 'README')).rejects.toThrow(InvalidInputError);
  });
});
