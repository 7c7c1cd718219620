/**
 * Finds where a JSON text stops being valid. Node 20's JSON.parse does not always say, and an
 * operator fixing a hand-edited interchange file or keystore needs a line and column. Only called
 * after JSON.parse has failed. Iterative (an explicit stack), so deep nesting cannot overflow it.
 */
export interface SyntaxProblem {
  offset: number;
  line: number;
  column: number;
  problem: string;
}

class SyntaxAt {
  constructor(
    readonly offset: number,
    readonly problem: string,
  ) {}
}

const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";

export function findJsonSyntaxError(text: string): SyntaxProblem | undefined {
  let i = 0;
  const fail = (problem: string): never => {
    throw new SyntaxAt(i, problem);
  };
  const skipSpace = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (text[i] !== ch) fail(`expected ${word}`);
      i++;
    }
  };
  const digits = () => {
    if (!isDigit(text[i])) fail("invalid number");
    while (isDigit(text[i])) i++;
  };
  const number = () => {
    if (text[i] === "-") i++;
    if (text[i] === "0") i++;
    else digits();
    if (text[i] === ".") {
      i++;
      digits();
    }
    if (text[i] === "e" || text[i] === "E") {
      i++;
      if (text[i] === "+" || text[i] === "-") i++;
      digits();
    }
  };
  const string = () => {
    if (text[i] !== '"') fail("expected a quoted string");
    i++;
    for (;;) {
      const c = text[i];
      if (c === undefined) fail("unterminated string");
      if (c! < " ") fail("control character in string");
      if (c === '"') {
        i++;
        return;
      }
      if (c === "\\") {
        const escape = text[i + 1];
        if (escape === "u") {
          i += 2;
          for (let k = 0; k < 4; k++, i++) if (!/[0-9a-fA-F]/.test(text[i] ?? "")) fail("invalid \\u escape");
          continue;
        }
        if (escape === undefined || !'"\\/bfnrt'.includes(escape)) {
          i++;
          fail("invalid escape in string");
        }
        i += 2;
        continue;
      }
      i++;
    }
  };
  /** Reads one scalar, or opens a container and returns its closing bracket. */
  const valueStart = (): "}" | "]" | undefined => {
    skipSpace();
    const c = text[i];
    if (c === "{" || c === "[") {
      i++;
      return c === "{" ? "}" : "]";
    }
    if (c === '"') string();
    else if (c === "-" || isDigit(c)) number();
    else if (c === "t") literal("true");
    else if (c === "f") literal("false");
    else if (c === "n") literal("null");
    else fail(c === undefined ? "unexpected end of file" : `unexpected character ${JSON.stringify(c)}`);
    return undefined;
  };
  const objectKey = () => {
    skipSpace();
    if (text[i] !== '"') fail(text[i] === undefined ? "unexpected end of file" : "expected a quoted property name");
    string();
    skipSpace();
    if (text[i] !== ":") fail("expected :");
    i++;
  };

  try {
    const stack: Array<"}" | "]"> = [];
    let opened = valueStart();
    for (;;) {
      if (opened !== undefined) {
        stack.push(opened);
        skipSpace();
        if (text[i] === opened) {
          i++;
          stack.pop();
        } else {
          if (opened === "}") objectKey();
          opened = valueStart();
          continue;
        }
      }
      const close = stack.at(-1);
      if (close === undefined) break;
      skipSpace();
      if (text[i] === ",") {
        i++;
        if (close === "}") objectKey();
        opened = valueStart();
      } else if (text[i] === close) {
        i++;
        stack.pop();
        opened = undefined;
      } else {
        fail(text[i] === undefined ? "unexpected end of file" : `expected , or ${close}`);
      }
    }
    skipSpace();
    if (i < text.length) fail("unexpected text after the JSON value");
    return undefined;
  } catch (err) {
    if (!(err instanceof SyntaxAt)) throw err;
    return { offset: err.offset, ...lineAndColumn(text, err.offset), problem: err.problem };
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let j = 0; j < offset && j < text.length; j++) {
    if (text.charCodeAt(j) === 10) {
      line++;
      lineStart = j + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}
