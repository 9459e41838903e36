// The dependency rule of src/ (README, "Architecture"): `npm run depcheck`, in CI. Every folder sits in a
// layer and imports only folders of lower layers (and its own); type-only imports count, since they tie the
// code together as much as the others. So no two folders import each other, and no file-level cycle either.

/** Lowest first. A folder of src/ (or of src/modules/) in no layer fails the `unlayered` rule below. */
const LAYERS = [
  ['shared'],
  ['modules/agency', 'modules/brand', 'modules/enforcement-policy', 'modules/node', 'modules/premises'],
  ['modules/principal', 'modules/seller'],
  ['modules/listing'],
  ['modules/lead'],
  ['modules/cross-brand-signal', 'modules/investigation', 'modules/repeat-offender'],
  ['modules/evidence'],
  ['modules/referral'],
  ['modules/analytics', 'modules/audit', 'modules/joint-operation'],
  ['modules/reporter-accuracy', 'modules/webhook'],
  ['database', 'export', 'import', 'seed'],
  ['cli', 'http'],
  // Then the files at the root of src/ (main.ts, cli.ts, schema-print.ts, demo.ts, logger.ts): they may import anything.
];

const escape = (folder) => folder.replace(/[.-]/g, '\\$&');
const ROOT_FILES = '^src/[^/]+$';

const layerRules = LAYERS.flatMap((layer, index) =>
  layer.map((folder) => {
    const higher = LAYERS.slice(index)
      .flat()
      .filter((other) => other !== folder);
    return {
      name: `layer:${folder}`,
      comment: `src/${folder} (layer ${index}) imports only folders of lower layers: not ${higher.join(', ')}, nor the files at the root of src/.`,
      severity: 'error',
      from: { path: `^src/${escape(folder)}/` },
      to: { path: [`^src/(${higher.map(escape).join('|')})/`, ROOT_FILES] },
    };
  }),
);

const layered = LAYERS.flat().map(escape).join('|');

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'unlayered',
      comment:
        'A new folder of src/ or src/modules/ gets a layer in LAYERS (.dependency-cruiser.cjs) and in the README.',
      severity: 'error',
      from: { path: '^src/.+/', pathNot: `^src/(${layered})/` },
      to: {},
    },
    {
      name: 'no-circular',
      comment: 'No file imports itself through others.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves (a moved file leaves no import behind).',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Unit tests beside the code (src/**/*.test.ts) may import what they test, wherever it lives.
    exclude: { path: ['\\.test\\.ts$', '^node_modules/'] },
    doNotFollow: { path: ['node_modules'] },
    includeOnly: '^src/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
