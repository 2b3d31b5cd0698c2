import { inputValue, parseLiteral } from '../../src/model/literals';

const value = (text: string, language: 'python' | 'r') => {
  const result = parseLiteral(text, language);
  return result.ok ? result.value : 'NOT A LITERAL';
};

describe('Python literals', () => {
  it.each([
    ['42', 42],
    ['-3', -3],
    ['1_000', 1000],
    ['0.5', 0.5],
    ['.5', 0.5],
    ['1e3', 1000],
    ['1e-3', 0.001],
    ['-2.5E+2', -250],
    ['0x1F', 31],
    ['True', true],
    ['False', false],
    ['None', null],
    ["'it''s'", 'NOT A LITERAL'],
    ["'a b'", 'a b'],
    ['"tab\\there"', 'tab\there'],
    ["r'C:\\new'", 'C:\\new'],
    ['"""multi\nline"""', 'multi\nline'],
    ['[1, "two", None]', [1, 'two', null]],
    ['(1, 2,)', [1, 2]],
    ['{"a": 1, \'b\': [True]}', { a: 1, b: [true] }],
    ['[]', []],
    ['range(3)', 'NOT A LITERAL'],
    ['x', 'NOT A LITERAL'],
    ['1 + 2', 'NOT A LITERAL'],
    ["f'{x}'", 'NOT A LITERAL'],
  ])('%s', (text, expected) => {
    expect(value(text, 'python')).toEqual(expected);
  });
});

describe('R literals', () => {
  it.each([
    ['42', 42],
    ['10L', 10],
    ['-1.5e2', -150],
    ['2e-2', 0.02],
    ['TRUE', true],
    ['F', false],
    ['NULL', null],
    ['"sales"', 'sales'],
    ["'it\\'s'", "it's"],
    ['c(1, 2, 3)', [1, 2, 3]],
    ['c("a", "b")', ['a', 'b']],
    ['list(a = 1, b = "x")', { a: 1, b: 'x' }],
    ['list(1, "x")', [1, 'x']],
    ['c()', []],
    ['seq(1, 3)', 'NOT A LITERAL'],
    ['None', 'NOT A LITERAL'],
  ])('%s', (text, expected) => {
    expect(value(text, 'r')).toEqual(expected);
  });
});

describe('values typed into the run dialog', () => {
  it('reads literals of the language, and anything else as a string', () => {
    expect(inputValue('0.25', 'python')).toBe(0.25);
    expect(inputValue('"north"', 'python')).toBe('north');
    expect(inputValue('north', 'python')).toBe('north');
    expect(inputValue('  spaced text ', 'r')).toBe('spaced text');
    expect(inputValue('TRUE', 'r')).toBe(true);
    expect(inputValue('True', 'r')).toBe('True');
  });
});
