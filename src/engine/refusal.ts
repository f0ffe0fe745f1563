// Apart from controls.ts (journal, reports, notifications) so that cli/errors.ts can recognise it cheaply.

/** A request refused (wrong state, four eyes, unknown batch): the sentence shown to the person; exit 2. */
export class ControlRefused extends Error {
  override name = 'ControlRefused';
}
