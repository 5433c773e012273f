import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { SEAL_BACKLOG_SQL, type SealBacklog } from './audit-seal.js';

/** The sealing backlog across tenants, read on the app pool outside any request's transaction (/metrics). */
@Injectable()
export class AuditSealRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async backlog(): Promise<SealBacklog> {
    const [row]: { unsealed_rows: number; lag_seconds: number }[] = await this.dataSource.query(SEAL_BACKLOG_SQL);
    return { unsealedRows: row.unsealed_rows, lagSeconds: row.lag_seconds };
  }
}
