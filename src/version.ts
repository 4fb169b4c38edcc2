/** This package's version, sent in the `ua` of every open call (a test keeps it equal to package.json's). @example `console.log(VERSION);` */
export const VERSION = '0.1.0';
