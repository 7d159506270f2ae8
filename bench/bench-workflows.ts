/** The bench worker's workflows: the package's own, plus the floor they are compared with. */
export * from '../workflows';
export { floorTwoActivities } from './floor-workflows';
