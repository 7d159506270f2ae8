// The workflow sandbox's wall, drawn by folder: an ESLint rule that lets a file import at runtime only from the
// folders and packages it names. Type-only imports always pass (they leave no code behind). Anything else, a
// Node built-in, another package, or a file of ours in any other folder (a brand-new one included), is refused.
import { builtinModules } from 'node:module';
import { dirname, relative, resolve, sep } from 'node:path';

const BUILTINS = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);

/** @type {import('eslint').Rule.RuleModule} */
export const sandboxWall = {
  meta: {
    type: 'problem',
    docs: { description: 'Runtime imports only from the allowed folders and packages.' },
    schema: [
      {
        type: 'object',
        properties: {
          zone: { type: 'string' },
          folders: { type: 'array', items: { type: 'string' } },
          files: { type: 'array', items: { type: 'string' } },
          packages: { type: 'array', items: { type: 'string' } },
        },
        required: ['zone'],
        additionalProperties: false,
      },
    ],
    messages: {
      builtin: '{{zone}} may not import the Node built-in "{{source}}" (import types with `import type`).',
      package: '{{zone}} may import at runtime only {{packages}}, not "{{source}}" (import types with `import type`).',
      file: '{{zone}} may import at runtime only from {{folders}}, not "{{source}}" (import types with `import type`).',
    },
  },
  create(context) {
    const { zone, folders = [], files = [], packages = [] } = context.options[0];
    const root = context.cwd;
    const fileRules = files.map((pattern) => new RegExp(pattern));
    const here = dirname(context.filename);

    const allowedFile = (target) => {
      const path = relative(root, target).split(sep).join('/');
      const bare = path.replace(/\.(ts|js|mjs)$/, '');
      return (
        folders.some((folder) => bare === folder || path.startsWith(`${folder}/`)) ||
        fileRules.some((rule) => rule.test(bare))
      );
    };

    const check = (node, source) => {
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
      const spec = source.value;
      const allowed = `${folders.map((folder) => `${folder}/`).join(', ')}${files.length > 0 ? ' and workflow files' : ''}`;
      const data = { zone, source: spec, packages: packages.join(', '), folders: allowed };
      if (spec.startsWith('.')) {
        if (!allowedFile(resolve(here, spec))) context.report({ node, messageId: 'file', data });
      } else if (BUILTINS.has(spec)) {
        context.report({ node, messageId: 'builtin', data });
      } else if (!packages.some((name) => spec === name || spec.startsWith(`${name}/`))) {
        context.report({ node, messageId: 'package', data });
      }
    };
    const typeOnly = (kind, specifiers) =>
      kind === 'type' || (specifiers.length > 0 && specifiers.every((s) => (s.importKind ?? s.exportKind) === 'type'));

    return {
      ImportDeclaration(node) {
        if (!typeOnly(node.importKind, node.specifiers)) check(node, node.source);
      },
      ExportNamedDeclaration(node) {
        if (node.source && !typeOnly(node.exportKind, node.specifiers)) check(node, node.source);
      },
      ExportAllDeclaration(node) {
        if (node.exportKind !== 'type') check(node, node.source);
      },
      ImportExpression(node) {
        check(node, node.source);
      },
      CallExpression(node) {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require') check(node, node.arguments[0]);
      },
    };
  },
};
