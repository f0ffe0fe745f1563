// TEST ONLY material of the Starpay sandbox: key pairs generated for it (never valid anywhere else), the
// built-in merchant id and a realistic slice of the InstaPay bank list.

/** TEST ONLY: the built-in merchant private key (PKCS#8), the `privateKey` sandbox value. */
export const TEST_MERCHANT_PRIVATE_KEY = `-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCzCnjyVFXjxx1T
5Y+j32y2OIZGqUyLNFHZ6W+k12SLGOJsjWBblqUFhQZSCz3Pp3W88IE1WNuWFFcr
9rlJVYf3dI7xiy9lYbVaQ2Pe1IhYpxtvbIyVOmobC1sQStDrwG1TnuysZtgkii0z
4idg/dJoFFT2o8ZOnYxpHyeS7sI9T/FypB45m6p2HYI0+v6y2lOzsk3Xn3Ad6xW0
UkOwdU3nHjy4lgXCuUhLgdZfBto/F7BmMhcndwSfscUxuXvP4vTXuwJkPGcnBAFC
8V8J1dUU18GkaquY2UK61it2sP3FYpH3bo2lNAWPRJrm/A5tt1SXgcvH3F8Ur6V4
j9hRSO/zAgMBAAECggEAJkKlp/t3w05IqSYUdQuI2sPnhfAl6FWM7EljT1GsLcFq
mZH4tnnR2AUeXagDVH3PvkmTAwhzHHZKTp3R6Kb7gFkLNvjsbvjbXWerTvISFQfY
6A3FWRp7lD3v/uJOFSMw+b6riwgLRnu0vzKkAakcLpuxsGc9OI2YdNpwhYi6P4ma
J+ea5tO97/P+47KyuaS0v+xGzaKiS8A9u2dRSvWH/BKTlK0R5+CHOwez0wqs9UnM
YqcjTJ9AB/aIU/GWf/bMYOlpAbwrKB0KAznKHkEmv58Hncfp99DV5lcP5tK14igA
udUMFd679sFAEE9KdL2WFwqxwf5Nd8MAAR8fqYrLMQKBgQD8piWwJei4QPlhy0/F
28EoY2aXWuIZn4aONPwTByOkEZt9kHAWvyRAa/gDOsDhudbxT+o/RriqVtZ1n8I5
lbpAYpH2vvmpuQf9lPFcVjfwf+ACeaP1rfSrrUUzLCvh0Nh+F0Qx77bIIw20OuwH
AO70tOo+IXSiGS0+gpPWMvEzWQKBgQC1amTTCxPnOjSnZFIRE6Y9otzDYC31ClQN
CIoSbC2nicBj9RUf22DXel1DRVl5hHP9LFWEWK55clvA2xo3+xJz7/tnYtlmJDAS
OZ69n7AB7JV95UTgzjK9IBVz+FyzBFD+b+rI5Fw/wOXkGlDxUyeOr8ehmSuEpROr
0PwokNXQKwKBgGJ8NdbLgENK+KuZgHhFaK9gyB4aDGcmm2IV32lfcBJF1tIEmt0T
F4ORUvWXUpbrRZF9sHeIDvY/sYvagfDGn/r3MaT43wO9IBNGmyt+ZIH4pw7v8e0U
KXs+qOoAvv5g1fOZCDlbE2pC19W43kcAoyV63JDpo7iIje1/IzftVb7JAoGADQsh
RKs/OxjMQFzOKbwn77aN+N4pb7zWXjmG89wjTDBzTLyKUEgNpnB91CBgVoRXcpSF
cYaOxNycDDm0oOHEaeGPSdepmdZwPl82MpwQo5LHDM43LZKlw0NTR4tL3vMof6K8
VsVUfKD55nSd7Tv1VCT/TXcd0eOsjmXwO1puhRECgYEAsWYisrk+2rI3TwFl8cmp
hVr2Cihhp9mQYXUTdHmeayWEb0PDG65q7/AsZZIf0CtgnENaIIXr1fmgiuraSlqx
mK2JjQtopxBqEA02au18+882RIfck6X4jcXgmbhhnrZr8zUjLm8db6iS65BeDVDD
o70sZbz3artbnhzKeDuWWDE=
-----END PRIVATE KEY-----
`;
/** TEST ONLY: its public key, what the sandbox verifies requests with by default. */
export const TEST_MERCHANT_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAswp48lRV48cdU+WPo99s
tjiGRqlMizRR2elvpNdkixjibI1gW5alBYUGUgs9z6d1vPCBNVjblhRXK/a5SVWH
93SO8YsvZWG1WkNj3tSIWKcbb2yMlTpqGwtbEErQ68BtU57srGbYJIotM+InYP3S
aBRU9qPGTp2MaR8nku7CPU/xcqQeOZuqdh2CNPr+stpTs7JN159wHesVtFJDsHVN
5x48uJYFwrlIS4HWXwbaPxewZjIXJ3cEn7HFMbl7z+L017sCZDxnJwQBQvFfCdXV
FNfBpGqrmNlCutYrdrD9xWKR926NpTQFj0Sa5vwObbdUl4HLx9xfFK+leI/YUUjv
8wIDAQAB
-----END PUBLIC KEY-----
`;
/** TEST ONLY: the sandbox platform's private key, which signs its answers and notifications. */
export const TEST_PLATFORM_PRIVATE_KEY = `-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDbmm5P7VhtPU+F
gPU75o3ZXn5YkYIYjBvElZZXMoJcMNG4Ocu0mrVlxMse0fZBTmgDFmEfmYHeQVp1
cMjnNr8HCGDkWcbuaYHH+gDYOGEGEO3XjOxt/UjagzhF14S455eS0JEvCbIxBR78
eScpgIz73v3qrRgUkInY/ln0ECl7dd9Ql6cviBm8PCQg8EpwKY6KnXSlCT7it49Z
VgixUT6ZcZHlTd/U6fomg125ogAVp8yY81dxJ1u46LRCWHRpZbU4IXeTo/copgQQ
mgh0huJpP7W1ZoTbGlhj+tWGyr00fS1py+OukeaOSdkg2wRvBSOrXy+zZdw0kPsx
GTF5kWuZAgMBAAECggEADCJUBPiU7iNqyqsd05gMBOjdZ+emz5tPLCVCDF65xQxN
9rU0nRFUPGOoHDqhi00gyX9Ugy+zA3L8xySwIZy0BFh2uhy30gW5v79VNGRtjjuy
WKxeMOmnHwBFYLsB+Z/MHbb4VAuYxqjajq5VTGiLNxALzUM6//NzRSBNOFjRKROw
mRo2x1Fi+/cEGJp822btHI6cUpPTsIdZ6vukopVCf7FVTuxsqWBATatfrrFSKqiB
yifqYGGIvEkU3RILQm1Kjxb0vB2N0Rg4BvCAcfRWGjwz/96D5GYsR5Zc3YWXAmTb
s81MEJbC/u7jPLQ8ic0wVOpMAUY3GzeF50Wn24O4/QKBgQD4iUsYBMM5hknIuNjz
gr4ue1oYcfuBd7/NzMgphBHZSi1gNWqb32nnXjoNO89KjFO+PjlHbfeFUzlHEtt4
fkRfnKpWD8XToou3MrT2rVZ2+d0D5nyLIc5JSo9UI/s4zCpMFRWG+ArKiYNLQovr
9UJ2oB5KnNrJpwlFMImaVGe2swKBgQDiMrR2/cOrGi30uPKj49QDgpXUZ+QdDM7Q
5cMhsyp45zdV41M0N1Kpwn0bx7zb2rBwCd+QSTpMxJ3+ZY1osREhdH34IVq3Al+A
XkMO0uSJeqTC8U5EtIZJZlpTe2lXjpgvbtR8xOgdooDCSiWw28smXSTRs3QV6mbO
VeWHpqxagwKBgG+L/z4qdQyObvM9s3GnjoACMO+jyMPU4SsW7AdmFTS3DCKQFuca
oMeNDPT/kQvea3+JIeAjROJ79csmdYZg9YMMJ480yQ8xdw+kHIBST+paPo4PlnpD
k/hlFGspMwnM6Hb5R44qKX25tknC9lXS4B+pwa6vM6sp4wlAvaGcnGftAoGAdn7R
gzRU+KFySa1Jjwme22fhTbBPE9jNzylOG61cJpIZruizgbsplrzIBXGRQitCGq9R
aqix3d1yVv6kIaAAtWHtS7tNZmnb1ceLoYxhJJQXE/iNY/ieEH2J/Am+mZudpduN
fP86CaxDf4SQUiISPjq1OxWjTofI63acE4AA8jkCgYEA0tp3xFVD74wCdI2bxZrg
rhM98mOVhc/l914jNpB+IVC0ABqJQu0l2P/so4XqbdwC00UzCPKp/uYeyjMUSPEg
KVdJqmEYqslWB+p8gZ1JKpSettQ9qzvHerHP0HdH6He0TpZlTc1m2clXeRlj/JlS
ZINOPGcdpVj9kcmRdvXY+Os=
-----END PRIVATE KEY-----
`;
/** TEST ONLY: the sandbox platform's public key, the `platformPublicKey` sandbox value. */
export const TEST_PLATFORM_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA25puT+1YbT1PhYD1O+aN
2V5+WJGCGIwbxJWWVzKCXDDRuDnLtJq1ZcTLHtH2QU5oAxZhH5mB3kFadXDI5za/
Bwhg5FnG7mmBx/oA2DhhBhDt14zsbf1I2oM4RdeEuOeXktCRLwmyMQUe/HknKYCM
+9796q0YFJCJ2P5Z9BApe3XfUJenL4gZvDwkIPBKcCmOip10pQk+4rePWVYIsVE+
mXGR5U3f1On6JoNduaIAFafMmPNXcSdbuOi0Qlh0aWW1OCF3k6P3KKYEEJoIdIbi
aT+1tWaE2xpYY/rVhsq9NH0tacvjrpHmjknZINsEbwUjq18vs2XcNJD7MRkxeZFr
mQIDAQAB
-----END PUBLIC KEY-----
`;

/** The built-in merchant id (the 2.4 sample's). */
export const SANDBOX_MCH_ID = '105510000001';

/** A realistic slice of the InstaPay receiving institutions (5.1 answer: receivers [{bankCode, bankName}]). */
export const SANDBOX_BANKS: readonly { bankCode: string; bankName: string }[] = Object.freeze([
  { bankCode: 'BNORPHMM', bankName: 'BDO Unibank, Inc.' },
  { bankCode: 'BOPIPHMM', bankName: 'Bank of the Philippine Islands' },
  { bankCode: 'MBTCPHMM', bankName: 'Metropolitan Bank and Trust Company' },
  { bankCode: 'PNBMPHMM', bankName: 'Philippine National Bank' },
  { bankCode: 'TLBPPHMM', bankName: 'Land Bank of the Philippines' },
  { bankCode: 'UBPHPHMM', bankName: 'Union Bank of the Philippines, Inc.' },
  { bankCode: 'SETCPHMM', bankName: 'Security Bank Corporation' },
  { bankCode: 'RCBCPHMM', bankName: 'Rizal Commercial Banking Corporation' },
  { bankCode: 'CHBKPHMM', bankName: 'China Banking Corporation' },
  { bankCode: 'SUSVPHM1', bankName: 'Sun Savings Bank, Inc.' },
  { bankCode: 'PAPHPHM1', bankName: 'Maya Bank, Inc.' },
  { bankCode: 'GXCHPHM2', bankName: 'GCash' },
  { bankCode: 'SRCPPHM1', bankName: 'ShopeePay Philippines, Inc.' },
  { bankCode: 'EWBCPHMM', bankName: 'EastWest Banking Corporation' },
]);

