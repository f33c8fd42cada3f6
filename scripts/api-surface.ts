/**
 * Describes the public API of a TypeScript module (an `index.ts` re-exporting a package's API)
 * as plain JSON: every exported name with its kind, and for classes every public member
 * (inherited ones included) with its parameter and return types, for enums every member value.
 * Private, protected and `@internal` members are not part of it.
 *
 * It is how `test/unit/runtime/api-surface.test.ts` holds our `ten-runtime-nodejs` to TEN's:
 * the test describes src/runtime/api/index.ts and compares it with the checked-in description of
 * TEN's binding (test/fixtures/ten-api/ten-runtime-nodejs.json), which this script derives from
 * TEN's sources (`core/src/ten_runtime/binding/nodejs/interface/index.ts`, exported to a scratch
 * folder outside the repo):
 *
 *   npx tsx scripts/api-surface.ts <ten>/core/src/ten_runtime/binding/nodejs/interface/index.ts \
 *     > test/fixtures/ten-api/ten-runtime-nodejs.json
 *
 * Parameter names are left out (a caller never sees them); optionality, rest parameters, types
 * and generic constraints are kept, as TypeScript prints them.
 */
import ts from 'typescript';

export type MemberSurface = string;

export interface ExportSurface {
  kind: 'class' | 'enum' | 'interface' | 'type' | 'function' | 'const';
  /** Classes: public construct signatures; abstract classes are marked. */
  construct?: string[];
  abstract?: boolean;
  /** Classes and interfaces: public instance members; functions: call signatures. */
  members?: Record<string, MemberSurface>;
  /** Classes: public static members. */
  statics?: Record<string, MemberSurface>;
  /** Enums: member values. */
  values?: Record<string, string | number>;
  /** Functions, consts, type aliases: the type as printed. */
  type?: string;
}

export type ApiSurface = Record<string, ExportSurface>;

const FORMAT = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.WriteArrowStyleSignature | ts.TypeFormatFlags.UseSingleQuotesForStringLiteralType;

function isPrivate(decl: ts.Declaration): boolean {
  if (ts.getCombinedModifierFlags(decl) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) return true;
  const name = (decl as ts.NamedDeclaration).name;
  return name !== undefined && ts.isPrivateIdentifier(name);
}

function isInternal(decl: ts.Declaration): boolean {
  return ts.getJSDocTags(decl).some((t) => t.tagName.text === 'internal');
}

function isHidden(decl: ts.Declaration): boolean {
  return isPrivate(decl) || isInternal(decl);
}

function signatureText(checker: ts.TypeChecker, sig: ts.Signature): string {
  const typeParams = (sig.getTypeParameters() ?? []).map((tp) => {
    const c = tp.getConstraint();
    return c ? `${checker.typeToString(tp)} extends ${checker.typeToString(c, undefined, FORMAT)}` : checker.typeToString(tp);
  });
  const params = sig.getParameters().map((p) => {
    const decl = p.valueDeclaration as ts.ParameterDeclaration | undefined;
    const type = checker.typeToString(checker.getTypeOfSymbol(p), undefined, FORMAT);
    if (decl?.dotDotDotToken) return `...${type}`;
    const optional = decl ? checker.isOptionalParameter(decl) : false;
    return optional ? `${type}?` : type;
  });
  const ret = checker.typeToString(sig.getReturnType(), undefined, FORMAT);
  return `${typeParams.length ? `<${typeParams.join(', ')}>` : ''}(${params.join(', ')}) => ${ret}`;
}

function memberText(checker: ts.TypeChecker, sym: ts.Symbol, at: ts.Node): string {
  const type = checker.getTypeOfSymbolAtLocation(sym, at);
  const decl = sym.valueDeclaration ?? sym.declarations?.[0];
  const isMethod = decl !== undefined && (ts.isMethodDeclaration(decl) || ts.isMethodSignature(decl));
  if (isMethod) {
    const abstract = (ts.getCombinedModifierFlags(decl) & ts.ModifierFlags.Abstract) !== 0;
    return (abstract ? 'abstract ' : '') + type
      .getCallSignatures()
      .map((s) => signatureText(checker, s))
      .join(' | ');
  }
  const readonly = decl !== undefined && (ts.getCombinedModifierFlags(decl) & ts.ModifierFlags.Readonly) !== 0;
  const getterOnly = sym.declarations?.every((d) => ts.isGetAccessorDeclaration(d)) ?? false;
  const optional = (sym.flags & ts.SymbolFlags.Optional) !== 0;
  return `${readonly || getterOnly ? 'readonly ' : ''}${optional ? '?' : ''}${checker.typeToString(type, undefined, FORMAT)}`;
}

function publicMembers(checker: ts.TypeChecker, type: ts.Type, at: ts.Node, skip: Set<string> = new Set()): Record<string, MemberSurface> {
  const out: Record<string, MemberSurface> = {};
  for (const sym of checker.getPropertiesOfType(type)) {
    const name = sym.getName();
    if (skip.has(name)) continue;
    const decls = sym.declarations ?? [];
    if (decls.length && decls.every(isHidden)) continue;
    out[name] = memberText(checker, sym, at);
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function describeSymbol(checker: ts.TypeChecker, exported: ts.Symbol): ExportSurface {
  const sym = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  const decl = sym.valueDeclaration ?? sym.declarations?.[0];
  if (!decl) return { kind: 'const', type: 'unknown' };
  if (sym.flags & ts.SymbolFlags.Class) {
    const classDecl = decl as ts.ClassDeclaration;
    const staticType = checker.getTypeOfSymbolAtLocation(sym, classDecl);
    const instanceType = checker.getDeclaredTypeOfSymbol(sym);
    // A constructor that is only `@internal` is stripped from the published declarations,
    // where the class then shows TypeScript's default one: `()`.
    const sigs = staticType.getConstructSignatures();
    const internalOnly = sigs.length > 0 && sigs.every((s) => s.declaration && isInternal(s.declaration as ts.Declaration) && !isPrivate(s.declaration as ts.Declaration));
    const construct = internalOnly
      ? ['()']
      : sigs.filter((s) => !s.declaration || !isHidden(s.declaration as ts.Declaration)).map((s) => signatureText(checker, s).replace(/ => .*$/, ''));
    const abstract = (ts.getCombinedModifierFlags(classDecl) & ts.ModifierFlags.Abstract) !== 0;
    return {
      kind: 'class',
      ...(abstract ? { abstract } : {}),
      construct,
      statics: publicMembers(checker, staticType, classDecl, new Set(['prototype'])),
      members: publicMembers(checker, instanceType, classDecl),
    };
  }
  if (sym.flags & ts.SymbolFlags.Enum) {
    const values: Record<string, string | number> = {};
    for (const m of (decl as ts.EnumDeclaration).members) {
      const v = checker.getConstantValue(m);
      values[m.name.getText()] = v ?? '?';
    }
    return { kind: 'enum', values };
  }
  if (sym.flags & ts.SymbolFlags.Interface) {
    return { kind: 'interface', members: publicMembers(checker, checker.getDeclaredTypeOfSymbol(sym), decl) };
  }
  if (sym.flags & ts.SymbolFlags.TypeAlias) {
    return { kind: 'type', type: checker.typeToString(checker.getDeclaredTypeOfSymbol(sym), undefined, FORMAT | ts.TypeFormatFlags.InTypeAlias) };
  }
  const type = checker.getTypeOfSymbolAtLocation(sym, decl);
  if (sym.flags & ts.SymbolFlags.Function) {
    return { kind: 'function', type: type.getCallSignatures().map((s) => signatureText(checker, s)).join(' | ') };
  }
  return { kind: 'const', type: checker.typeToString(type, undefined, FORMAT) };
}

/** The public surface of the module `indexFile`, by exported name (sorted). */
export function describeApi(indexFile: string): ApiSurface {
  const program = ts.createProgram([indexFile], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    // Resolves both TEN's `./x.js` specifiers and our extensionless ones.
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    experimentalDecorators: true,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(indexFile);
  if (!source) throw new Error(`Cannot read ${indexFile}.`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`${indexFile} is not a module.`);
  const out: ApiSurface = {};
  const exports = checker.getExportsOfModule(moduleSymbol).sort((a, b) => (a.getName() < b.getName() ? -1 : 1));
  for (const e of exports) out[e.getName()] = describeSymbol(checker, e);
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: tsx scripts/api-surface.ts <index.ts>\n');
    process.exit(2);
  }
  process.stdout.write(`${JSON.stringify(describeApi(file), null, 2)}\n`);
}
