/**
 * Finds where a JSON text first goes wrong. V8 reports a position for some syntax errors but not
 * for an unexpected token, and an operator fixing a hand-edited keystore needs a line and column.
 */
class JsonSyntaxAt {
  constructor(readonly offset: number) {}
}

/** Offset of the first JSON syntax error in `text`, or undefined when the text is valid JSON. */
export function jsonErrorOffset(text: string): number | undefined {
  let i = 0;
  const fail = (): never => {
    throw new JsonSyntaxAt(i);
  };
  const isDigit = (c: string | undefined) => c !== undefined && c >= "0" && c <= "9";
  const skipWhitespace = () => {
    while (i < text.length && " \t\n\r".includes(text[i] as string)) i++;
  };
  const expect = (c: string) => {
    if (text[i] !== c) fail();
    i++;
  };
  const digits = () => {
    if (!isDigit(text[i])) fail();
    while (isDigit(text[i])) i++;
  };
  const string = () => {
    expect('"');
    for (;;) {
      const c = text[i];
      if (c === undefined || c < " ") fail();
      i++;
      if (c === '"') return;
      if (c !== "\\") continue;
      const escape = text[i];
      if (escape === "u") {
        i++;
        for (let k = 0; k < 4; k++) {
          if (!/[0-9a-fA-F]/.test(text[i] ?? "")) fail();
          i++;
        }
      } else if (escape !== undefined && '"\\/bfnrt'.includes(escape)) i++;
      else fail();
    }
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
  const sequence = (close: string, item: () => void) => {
    i++;
    skipWhitespace();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      item();
      skipWhitespace();
      if (text[i] === close) {
        i++;
        return;
      }
      expect(",");
    }
  };
  const value = (): void => {
    skipWhitespace();
    const c = text[i];
    if (c === "{") {
      sequence("}", () => {
        skipWhitespace();
        string();
        skipWhitespace();
        expect(":");
        value();
      });
    } else if (c === "[") sequence("]", value);
    else if (c === '"') string();
    else if (c === "-" || isDigit(c)) number();
    else if (c === "t") for (const ch of "true") expect(ch);
    else if (c === "f") for (const ch of "false") expect(ch);
    else if (c === "n") for (const ch of "null") expect(ch);
    else fail();
  };

  try {
    value();
    skipWhitespace();
    if (i < text.length) fail();
    return undefined;
  } catch (err) {
    if (err instanceof JsonSyntaxAt) return err.offset;
    throw err;
  }
}
