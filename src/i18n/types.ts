// A small typed dictionary instead of @lit/localize: two languages, no extraction step or
// generated files, switching at run time without a reload, and TypeScript itself refuses a
// section whose Indonesian side lacks a key or gives a message different parameters.

/** A message: plain text, or a function of its parameters. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Message = string | ((...args: any[]) => string);

export type Messages = { readonly [key: string]: Message };

/** The same keys as `T`, each with the same kind of message (string, or a function of the same parameters). */
export type SameShape<T extends Messages> = {
  readonly [K in keyof T]: T[K] extends string ? string : T[K];
};

export type Lang = 'id' | 'en';
export const LANGS: readonly Lang[] = ['id', 'en'];

/** One part of the app's strings, English first (the shape) and Indonesian to match. */
export interface Section<T extends Messages> {
  en: T;
  id: SameShape<T>;
}

export function section<T extends Messages>(en: T, id: SameShape<T>): Section<T> {
  return { en, id };
}
