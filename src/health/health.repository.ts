import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { migrations } from '../../migrations/index.js';

@Injectable()
export class HealthRepository {
  private readonly expected = migrations.map((migration) => new migration().name);

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Names of the migrations this build knows but the database has not applied. */
  async pendingMigrations(): Promise<string[]> {
    const rows: { name: string }[] = await this.dataSource.query('SELECT name FROM migrations');
    const applied = new Set(rows.map((row) => row.name));
    return this.expected.filter((name) => !applied.has(name));
  }
}
