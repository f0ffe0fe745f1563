// Who owns a file, by name: the releaser of an inbox sheet for four eyes (DESIGN §12).
import fs from 'node:fs';

/** The user name of a uid from /etc/passwd; undefined when it has none (a container, another machine's uid). */
function userName(uid: number): string | undefined {
  let passwd: string;
  try {
    passwd = fs.readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of passwd.split('\n')) {
    const [name, , id] = line.split(':');
    if (name && id !== undefined && Number(id) === uid && id.trim() !== '') return name;
  }
  return undefined;
}

/** The owner of `file` as a user name, else `uid:<n>`. */
export function fileOwner(file: string): string {
  const { uid } = fs.statSync(file);
  return userName(uid) ?? `uid:${uid}`;
}
