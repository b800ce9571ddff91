/**
 * Splitting an `exec:<command>` string into argv without a shell. Pure.
 */

/**
 * Splits `command` the way a POSIX shell splits words, and nothing more: blanks separate
 * words; '…' quotes literally; "…" quotes with \" \\ \$ \` escapes; a backslash outside
 * quotes escapes the next character. No globbing, variables, redirections or pipes (for
 * those, run `sh -c '…'` as the command). Throws on an unterminated quote or escape.
 */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\n') {
      if (inWord) { words.push(word); word = ''; inWord = false; }
      continue;
    }
    inWord = true;
    if (ch === '\\') {
      if (i + 1 >= command.length) throw new Error(`unterminated escape at the end of '${command}'`);
      word += command[++i];
    } else if (ch === "'") {
      const end = command.indexOf("'", i + 1);
      if (end < 0) throw new Error(`unterminated ' in '${command}'`);
      word += command.slice(i + 1, end);
      i = end;
    } else if (ch === '"') {
      let j = i + 1;
      for (; j < command.length && command[j] !== '"'; j++) {
        if (command[j] === '\\' && j + 1 < command.length && '"\\$`'.includes(command[j + 1]!)) j++;
        word += command[j];
      }
      if (j >= command.length) throw new Error(`unterminated " in '${command}'`);
      i = j;
    } else word += ch;
  }
  if (inWord) words.push(word);
  return words;
}
