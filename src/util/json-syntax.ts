/**
 * Finds where a JSON text stops being valid. Node 20's JSON.parse does not always say, and an
 * operator fixing a hand-edited interchange file needs a line and column. Only called after
 * JSON.parse has failed, so it favours clarity over speed.
 */
export interface SyntaxProblem {
  line: number;
  column: number;
  problem: string;
}

export function findJsonSyntaxError(text: string): SyntaxProblem | undefined {
  let i = 0;
  const fail = (problem: string): never => {
    throw Object.assign(new Error(problem), { offset: i });
  };
  const skipSpace = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const expect = (literal: string) => {
    if (text.startsWith(literal, i)) i += literal.length;
    else fail(`expected ${literal}`);
  };
  const parseString = () => {
    i++;
    while (i < text.length) {
      const c = text[i]!;
      if (c === '"') {
        i++;
        return;
      }
      if (c === "\\") {
        const next = text[i + 1];
        if (next === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail("invalid \\u escape");
          i += 6;
        } else if (next !== undefined && '"\\/bfnrt'.includes(next)) i += 2;
        else fail("invalid escape in string");
      } else if (c.charCodeAt(0) < 0x20) fail("control character in string");
      else i++;
    }
    fail("unterminated string");
  };
  const parseNumber = () => {
    const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (match === null || match[0] === "") fail("invalid number");
    i += match![0].length;
  };
  const parseValue = (): void => {
    skipSpace();
    const c = text[i];
    if (c === "{") {
      i++;
      skipSpace();
      if (text[i] === "}") {
        i++;
        return;
      }
      for (;;) {
        skipSpace();
        if (text[i] !== '"') fail("expected a quoted property name");
        parseString();
        skipSpace();
        expect(":");
        parseValue();
        skipSpace();
        if (text[i] === ",") i++;
        else if (text[i] === "}") {
          i++;
          return;
        } else fail("expected , or }");
      }
    }
    if (c === "[") {
      i++;
      skipSpace();
      if (text[i] === "]") {
        i++;
        return;
      }
      for (;;) {
        parseValue();
        skipSpace();
        if (text[i] === ",") i++;
        else if (text[i] === "]") {
          i++;
          return;
        } else fail("expected , or ]");
      }
    }
    if (c === '"') return parseString();
    if (c === "t") return expect("true");
    if (c === "f") return expect("false");
    if (c === "n") return expect("null");
    if (c === "-" || (c !== undefined && c >= "0" && c <= "9")) return parseNumber();
    fail(c === undefined ? "unexpected end of file" : `unexpected character ${JSON.stringify(c)}`);
  };
  try {
    parseValue();
    skipSpace();
    if (i < text.length) fail("unexpected text after the JSON value");
    return undefined;
  } catch (err) {
    const offset = (err as { offset?: number }).offset ?? i;
    return { ...lineAndColumn(text, offset), problem: (err as Error).message };
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
