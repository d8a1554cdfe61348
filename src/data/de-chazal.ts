/**
 * The inter-patient protocol of de Chazal, O'Dwyer and Reilly, "Automatic classification of
 * heartbeats using ECG morphology and heartbeat interval features", IEEE TBME 51(7), 2004:
 * the 44 non-paced records of the MIT-BIH Arrhythmia Database in two halves of 22 records with
 * similar class make-up, DS1 to train on and DS2 to test on, so that no patient is seen in
 * training and in testing. The four paced records (102, 104, 107, 217) are left out, as the
 * AAMI recommendation (ANSI/AAMI EC57) says. The lists agree with the many public
 * implementations of the protocol (docs/data.md, "Inter-patient protocols").
 */

export const DE_CHAZAL_DS1: readonly string[] = [
  '101', '106', '108', '109', '112', '114', '115', '116', '118', '119', '122',
  '124', '201', '203', '205', '207', '208', '209', '215', '220', '223', '230',
];

export const DE_CHAZAL_DS2: readonly string[] = [
  '100', '103', '105', '111', '113', '117', '121', '123', '200', '202', '210',
  '212', '213', '214', '219', '221', '222', '228', '231', '232', '233', '234',
];

export const MITBIH_PACED: readonly string[] = ['102', '104', '107', '217'];

/** Where a record of the MIT-BIH Arrhythmia Database goes under the protocol; null for a name that is not one. */
export function deChazalRole(record: string): 'ds1' | 'ds2' | 'paced' | null {
  if (DE_CHAZAL_DS1.includes(record)) return 'ds1';
  if (DE_CHAZAL_DS2.includes(record)) return 'ds2';
  if (MITBIH_PACED.includes(record)) return 'paced';
  return null;
}
