/** A file imported as text (`import text from './file.css?raw'`): Vite (vitest) does it natively, the build by the plugin in tsup.config.ts. */
declare module '*?raw' {
  const text: string;
  export default text;
}
