/** How a node names its addon's language in a small badge (the palette groups by language). */
import type { PackageLanguage } from '../../shared';

export const LANGUAGE_BADGE: Readonly<Record<PackageLanguage, string>> = { typescript: 'TS', python: 'Py', cpp: 'C++', go: 'Go', unknown: '' };

export const LANGUAGE_TITLE: Readonly<Record<PackageLanguage, string>> = {
  typescript: "TypeScript extension: runs on its extension group's thread",
  python: "Python extension: runs in its extension group's Python process",
  cpp: 'C++ extension',
  go: 'Go extension',
  unknown: '',
};
