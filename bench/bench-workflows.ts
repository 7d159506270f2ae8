/** The bench worker's workflows: the package's own, plus the floors they are compared with. */
export * from '../workflows';
export { floorOneActivity, floorTwoActivities } from './floor-workflows';
