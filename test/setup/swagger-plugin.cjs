/**
 * ts-jest AST transformer: the @nestjs/swagger CLI plugin, with the options of nest-cli.json, so the
 * document served in tests is the one `nest build` produces (the drift test compares them).
 */
const { before } = require('@nestjs/swagger/plugin');
const nestCli = require('../../nest-cli.json');

const options = nestCli.compilerOptions.plugins.find((plugin) => plugin.name === '@nestjs/swagger').options;

module.exports = {
  name: 'nestjs-swagger-plugin',
  version: 1,
  factory: (tsCompiler) => before(options, tsCompiler.program),
};
