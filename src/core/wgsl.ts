// What the TypeScript side needs to know about a WGSL file, read from its text once: the resource bindings,
// the uniform structs, the module constants, and which bindings each entry point statically uses (its own
// body plus every function it calls, transitively). Dispatches are checked against this by name.

export type ScalarType = 'u32' | 'i32' | 'f32';

export interface BindingDecl {
  readonly name: string;
  readonly group: number;
  readonly binding: number;
  /** 'uniform' or 'storage' (the address space). */
  readonly space: string;
  /** The declared type, e.g. 'array<f32>' or a struct name. */
  readonly type: string;
}

export interface StructField {
  readonly name: string;
  readonly type: string;
}

/** One entry point's resource interface: its storage bindings and at most one uniform struct. */
export interface EntryInterface {
  /** @workgroup_size, resolved through the file's constants (NaN for an override expression). */
  readonly workgroupSize: readonly number[];
  /** Storage bindings the entry point uses, by name. */
  readonly bindings: readonly BindingDecl[];
  /** The uniform it reads, with its struct's scalar fields in declaration order; null when it reads none. */
  readonly uniform: { readonly decl: BindingDecl; readonly struct: string; readonly fields: readonly { name: string; type: ScalarType }[] } | null;
}

export interface WgslReflection {
  readonly bindings: ReadonlyMap<string, BindingDecl>;
  readonly structs: ReadonlyMap<string, readonly StructField[]>;
  /** Module-scope `const`s whose value is a plain numeric literal. */
  readonly constants: ReadonlyMap<string, number>;
  /** Entry point name → its @workgroup_size arguments as written. */
  readonly workgroupSizes: ReadonlyMap<string, readonly string[]>;
  /** Function name → identifiers it mentions (member names after `.` excluded). */
  readonly functions: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Blanks comments out (newlines kept, so offsets and line numbers stay those of the file). */
function stripComments(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' '))
    .replace(/\/\/[^\n]*/g, (m) => ' '.repeat(m.length));
}

function parseNumber(literal: string): number | null {
  const m = /^\s*(-?)(0[xX][0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)([uif]?)\s*$/.exec(literal);
  if (!m) return null;
  const v = Number(m[2]);
  return m[1] ? -v : v;
}

/** The index just past the brace that closes the one at `open`. */
function matchBrace(code: string, open: number, file: string): number {
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    if (code[i] === '{') depth++;
    else if (code[i] === '}' && --depth === 0) return i + 1;
  }
  throw new Error(`${file}: unbalanced braces after offset ${open}`);
}

/** Parses the parts of a WGSL file the dispatch checks need. `file` names it in errors. */
export function reflectWgsl(source: string, file = 'shader'): WgslReflection {
  const code = stripComments(source);
  const bindings = new Map<string, BindingDecl>();
  const bindingRe = /@group\(\s*(\d+)\s*\)\s*@binding\(\s*(\d+)\s*\)\s*var\s*(?:<\s*(\w+)[^>]*>)?\s*(\w+)\s*:\s*([^;]+);/g;
  for (const m of code.matchAll(bindingRe)) {
    const decl = { group: Number(m[1]), binding: Number(m[2]), space: m[3] ?? 'handle', name: m[4], type: m[5].trim() };
    if (bindings.has(decl.name)) throw new Error(`${file}: binding ${decl.name} is declared twice`);
    bindings.set(decl.name, decl);
  }
  const structs = new Map<string, StructField[]>();
  for (const m of code.matchAll(/\bstruct\s+(\w+)\s*\{([^}]*)\}/g)) {
    const fields = m[2]
      .split(',')
      .map((f) => f.trim())
      .filter(Boolean)
      .map((f) => {
        const [name, type] = f.replace(/@\w+(\([^)]*\))?/g, '').split(':').map((s) => s.trim());
        return { name, type };
      });
    structs.set(m[1], fields);
  }
  const constants = new Map<string, number>();
  for (const m of code.matchAll(/^\s*const\s+(\w+)\s*(?::\s*\w+\s*)?=\s*([^;]+);/gm)) {
    const v = parseNumber(m[2]);
    if (v !== null) constants.set(m[1], v);
  }
  const functions = new Map<string, Set<string>>();
  for (const m of code.matchAll(/\bfn\s+(\w+)\s*\(/g)) {
    const open = code.indexOf('{', m.index! + m[0].length);
    if (open < 0) continue;
    const end = matchBrace(code, open, file);
    const text = code.slice(m.index! + m[0].length, end);
    const ids = new Set<string>();
    for (const id of text.matchAll(/(\.\s*)?\b([A-Za-z_]\w*)/g)) if (!id[1]) ids.add(id[2]);
    // A local or parameter named like a binding would hide it from this scan: refuse it.
    for (const local of text.matchAll(/\b(?:let|var|const)\s+(\w+)|(\w+)\s*:(?!:)/g)) {
      const name = local[1] ?? local[2];
      if (bindings.has(name)) throw new Error(`${file}: fn ${m[1]} declares '${name}', which shadows the binding of that name`);
    }
    functions.set(m[1], ids);
  }
  const workgroupSizes = new Map<string, string[]>();
  for (const m of code.matchAll(/@workgroup_size\(([^)]*)\)\s*fn\s+(\w+)/g)) {
    workgroupSizes.set(m[2], m[1].split(',').map((s) => s.trim()).filter(Boolean));
  }
  return { bindings, structs, constants, functions, workgroupSizes };
}

/** The bindings and uniform fields entry point `entry` statically uses; null when the file has no such function. */
export function entryInterface(r: WgslReflection, entry: string, file = 'shader'): EntryInterface | null {
  if (!r.functions.has(entry)) return null;
  const seen = new Set<string>([entry]);
  const queue = [entry];
  const used: BindingDecl[] = [];
  while (queue.length) {
    for (const id of r.functions.get(queue.pop()!)!) {
      const decl = r.bindings.get(id);
      if (decl) {
        if (!used.includes(decl)) used.push(decl);
      } else if (r.functions.has(id) && !seen.has(id)) {
        seen.add(id);
        queue.push(id);
      }
    }
  }
  used.sort((a, b) => a.binding - b.binding);
  const uniforms = used.filter((d) => d.space === 'uniform');
  if (uniforms.length > 1) {
    throw new Error(`${file}:${entry} reads ${uniforms.length} uniforms (${uniforms.map((u) => u.name).join(', ')}); one struct per entry point`);
  }
  let uniform: EntryInterface['uniform'] = null;
  if (uniforms.length === 1) {
    const decl = uniforms[0];
    const fields = r.structs.get(decl.type);
    if (!fields) throw new Error(`${file}: uniform ${decl.name} has type ${decl.type}, which is not a struct of this file`);
    for (const f of fields) {
      if (f.type !== 'u32' && f.type !== 'i32' && f.type !== 'f32') {
        throw new Error(`${file}: ${decl.type}.${f.name} is ${f.type}; uniform fields must be u32, i32 or f32`);
      }
    }
    uniform = { decl, struct: decl.type, fields: fields as { name: string; type: ScalarType }[] };
  }
  const workgroupSize = (r.workgroupSizes.get(entry) ?? []).map((a) => parseNumber(a) ?? r.constants.get(a) ?? NaN);
  return { workgroupSize, bindings: used.filter((d) => d.space !== 'uniform'), uniform };
}

/** A numeric module constant of a WGSL file, for TypeScript that must agree with it (tiles, sentinels). */
export function wgslConstant(source: string, name: string): number {
  const v = reflectWgsl(source).constants.get(name);
  if (v === undefined) throw new Error(`WGSL constant ${name} is not declared as a numeric literal`);
  return v;
}

/** A WGSL file with shared snippets appended (module-scope declarations may come in any order; appending keeps
 *  the file's own line numbers in compile errors). */
export function withSnippets(source: string, ...snippets: string[]): string {
  return [source, ...snippets].join('\n');
}
