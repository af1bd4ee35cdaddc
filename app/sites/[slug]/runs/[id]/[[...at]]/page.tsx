/** /runs/ID, /runs/ID/hosts/HOST and /runs/ID/hosts/HOST/steps/STEP: the run layout reads the path itself. */
export default function RunPlace() {
  return null;
}
