// Your workflows file: your own workflows, and the package's, with one line.
export * from 'temporal-gcp-lro/workflows';
export { teardown } from './parent-workflow';
