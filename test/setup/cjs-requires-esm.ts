/**
 * nestjs-cls and @nestjs-cls/transactional ship as CommonJS and `require()` NestJS, which ships as
 * ES modules only. Node 20 itself loads them (require(esm)); jest's module system can do so only on
 * Node ≥ 24.9. So for each such require, jest is handed the very ES module the application imports:
 * one instance of @nestjs/common and @nestjs/core, as in production.
 */
import { jest } from '@jest/globals';
import * as common from '@nestjs/common';
import * as core from '@nestjs/core';
import * as unknownDependencies from '@nestjs/core/errors/exceptions/unknown-dependencies.exception.js';
import * as injector from '@nestjs/core/injector/injector.js';

jest.mock('@nestjs/common', () => common);
jest.mock('@nestjs/core', () => core);
jest.mock('@nestjs/core/errors/exceptions/unknown-dependencies.exception', () => unknownDependencies);
jest.mock('@nestjs/core/injector/injector', () => injector);
