/** 0: clean; 1: the input has errors; 2: the command line itself is wrong (or a file cannot be read); 70: a bug in mtl. */
export const EXIT_OK = 0;
export const EXIT_ERRORS = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 70;
