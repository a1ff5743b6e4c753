/// <reference types="vite/client" />
declare const __NYALA_BUILD_ID__: string;
