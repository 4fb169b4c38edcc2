// A safe arithmetic evaluator for the calculator bot: a small recursive-descent parser
// over numbers, + - * / % ^, parentheses and unary minus. User input is parsed, never
// evaluated as code.

/** Thrown for anything that is not plain arithmetic. */
export class NotArithmeticError extends Error {
  constructor(message) {
    super(message);
    this.name = 'NotArithmeticError';
  }
}

const MAX_LENGTH = 200;

/**
 * Evaluates an arithmetic expression such as `1+1` or `(2 + 3) * 4 ^ 2`.
 * @param {string} input
 * @returns {number}
 */
export function evaluate(input) {
  if (typeof input !== 'string' || input.length > MAX_LENGTH) throw new NotArithmeticError('expression too long');
  const tokens = tokenize(input.replace(/×/g, '*').replace(/÷/g, '/').replace(/\*\*/g, '^'));
  if (!tokens.length) throw new NotArithmeticError('empty expression');
  let pos = 0;
  const peek = () => tokens[pos];
  const take = () => tokens[pos++];

  // expr := term (('+'|'-') term)*
  function expr() {
    let value = term();
    while (peek() === '+' || peek() === '-') value = take() === '+' ? value + term() : value - term();
    return value;
  }
  // term := power (('*'|'/'|'%') power)*
  function term() {
    let value = power();
    for (;;) {
      const op = peek();
      if (op !== '*' && op !== '/' && op !== '%') return value;
      take();
      const rhs = power();
      if ((op === '/' || op === '%') && rhs === 0) throw new NotArithmeticError('division by zero');
      value = op === '*' ? value * rhs : op === '/' ? value / rhs : value % rhs;
    }
  }
  // power := unary ('^' power)?   (right-associative)
  function power() {
    const base = unary();
    if (peek() !== '^') return base;
    take();
    return base ** power();
  }
  // unary := ('-'|'+') unary | atom
  function unary() {
    if (peek() === '-') return take(), -unary();
    if (peek() === '+') return take(), unary();
    return atom();
  }
  function atom() {
    const token = take();
    if (typeof token === 'number') return token;
    if (token === '(') {
      const value = expr();
      if (take() !== ')') throw new NotArithmeticError('missing )');
      return value;
    }
    throw new NotArithmeticError(token === undefined ? 'unexpected end' : `unexpected ${token}`);
  }

  const value = expr();
  if (pos !== tokens.length) throw new NotArithmeticError(`unexpected ${tokens[pos]}`);
  if (!Number.isFinite(value)) throw new NotArithmeticError('result is not a finite number');
  return value;
}

function tokenize(text) {
  const tokens = [];
  const re = /\s*(?:(\d+(?:\.\d+)?|\.\d+)|([-+*/%^()]))/y;
  let index = 0;
  while (index < text.length) {
    if (/^\s*$/.test(text.slice(index))) break;
    re.lastIndex = index;
    const m = re.exec(text);
    if (!m) throw new NotArithmeticError(`not arithmetic: ${JSON.stringify(text.slice(index, index + 10))}`);
    tokens.push(m[1] !== undefined ? Number(m[1]) : m[2]);
    index = re.lastIndex;
  }
  return tokens;
}

/**
 * The calculator bot's answer to a chat message, in the seed README's format.
 * @param {string} question
 */
export function answer(question) {
  const expression = question.trim();
  try {
    const value = evaluate(expression);
    return `Q: ${expression}\nA: ${Number.isInteger(value) ? value : Number(value.toPrecision(12))}`;
  } catch (err) {
    return `Q: ${expression}\nA: Error: ${err instanceof NotArithmeticError ? err.message : 'cannot compute'}`;
  }
}
