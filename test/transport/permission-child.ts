/** Opens the port named on the command line and prints the error's code and message as JSON. */
import { openSerial } from '../../src/transport/serial.js';
import { PortError } from '../../src/errors.js';

const path = process.argv[2]!;
try {
  const connection = await openSerial(path, { baudRate: 115200 });
  await connection.close();
  console.log(JSON.stringify({ code: 'OPENED', message: '' }));
} catch (error) {
  const e = error as PortError;
  console.log(JSON.stringify({ code: e.code, message: e.message }));
}
