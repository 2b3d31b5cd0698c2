// The LABEL line the builder appends to the Dockerfile it sends: every label in one instruction,
// quoted so that JSON values, quotes, backslashes and "$" reach the image unchanged.
import { withLabels } from '../../../gateway/src/images/image-builder';

test('labels become one sorted LABEL line after the Dockerfile', () => {
  const out = withLabels('FROM x\nRUN true\n\n', { 'b.io/two': '2', 'a.io/one': '1' });
  expect(out).toBe('FROM x\nRUN true\nLABEL "a.io/one"="1" "b.io/two"="2"\n');
});

test('quotes, backslashes and "$" are escaped; newlines cannot break the instruction', () => {
  const out = withLabels('FROM x', { recipe: '{"r":true,"from":"a\\\\b"}', price: '$HOME', text: 'one\ntwo' });
  expect(out).toBe('FROM x\nLABEL "price"="\\$HOME" "recipe"="{\\"r\\":true,\\"from\\":\\"a\\\\\\\\b\\"}" "text"="one two"\n');
});
