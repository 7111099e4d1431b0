import type { Prisma, PrismaClient } from '@vetbox/db';

/** The client or an interactive transaction: store functions accept either. */
export type Db = PrismaClient | Prisma.TransactionClient;

/** Statuses in which an analysis is still owed a result. */
export const IN_FLIGHT = ['queued', 'running'] as const;
/** Statuses after which nothing changes any more (except rescoring). */
export const TERMINAL = ['completed', 'failed', 'cancelled'] as const;
