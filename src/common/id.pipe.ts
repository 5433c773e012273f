import { Injectable, PipeTransform } from '@nestjs/common';
import { ProblemException } from './problem.js';

/**
 * `:id` of serial rows: a positive int4, else 400. A well-formed id of another tenant is then a
 * plain 404 from the repository (RLS and the tenant in WHERE hide it).
 */
@Injectable()
export class ParseIdPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    if (!/^[1-9][0-9]{0,9}$/.test(value) || Number(value) > 2_147_483_647) {
      throw new ProblemException(400, 'validation-error', 'Validation failed', 'id must be a positive integer', {
        errors: [{ field: 'id', message: 'id must be a positive integer' }],
      });
    }
    return Number(value);
  }
}
