// StarPago sends amounts as JSON numbers; their literal text is read into minor units by the shared
// wire-money helper (../money.ts), never through a float. This name stays for StarPago's own tests.
export { literalToMinorUnits as literalToMinor } from '../money.ts';
