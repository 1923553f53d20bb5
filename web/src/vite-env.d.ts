/// <reference types="vite/client" />

/** The version of this web UI, from package.json (set by Vite's `define`). */
declare const __APP_VERSION__: string;
