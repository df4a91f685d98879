/** Bump whenever a back end would read an older IR differently; upgrade.ts reads every older version. */
export const IR_VERSION = 4;
