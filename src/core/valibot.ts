// The parts of valibot the wire validator uses, gathered in one module. The package build bundles
// this module alone (valibot tree-shakes to a few kB of it), so an installed app carries what we use
// instead of valibot's whole 1.8 MB package; in this repository it is valibot itself.
export {
  array, boolean, check, custom, finite, integer, is, literal, maxLength, maxValue, minLength, minValue, number, optional,
  picklist, pipe, rawTransform, regex, safeParse, strictObject, string, transform, union,
} from 'valibot';
export type { BaseIssue, GenericSchema, ObjectEntries } from 'valibot';
