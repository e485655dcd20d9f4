/** Case files and case sets of the challenge format (see ../shared/docs/PROTOCOL.md "Case files"). */
export * from './names.js';
export * from './validate.js';
export * from './caseset.js';
