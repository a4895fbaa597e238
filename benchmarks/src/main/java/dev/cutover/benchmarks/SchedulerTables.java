package dev.cutover.benchmarks;

import dev.cutover.testsupport.Engine;
import dev.cutover.testsupport.TestDatabase;

/** db-scheduler's table, as its documentation defines it for PostgreSQL and for MariaDB/MySQL (version 14). */
final class SchedulerTables {
    private SchedulerTables() {
    }

    static void create(TestDatabase db) {
        if (db.engine() == Engine.POSTGRESQL) {
            db.execute("CREATE TABLE scheduled_tasks (task_name TEXT NOT NULL, task_instance TEXT NOT NULL,"
                            + " task_data BYTEA, execution_time TIMESTAMP WITH TIME ZONE NOT NULL, picked BOOLEAN NOT NULL,"
                            + " picked_by TEXT, last_success TIMESTAMP WITH TIME ZONE, last_failure TIMESTAMP WITH TIME ZONE,"
                            + " consecutive_failures INT, last_heartbeat TIMESTAMP WITH TIME ZONE, version BIGINT NOT NULL,"
                            + " PRIMARY KEY (task_name, task_instance))",
                    "CREATE INDEX execution_time_idx ON scheduled_tasks (execution_time)",
                    "CREATE INDEX last_heartbeat_idx ON scheduled_tasks (last_heartbeat)");
        } else {
            db.execute("CREATE TABLE scheduled_tasks (task_name VARCHAR(100) NOT NULL, task_instance VARCHAR(100) NOT NULL,"
                    + " task_data BLOB, execution_time TIMESTAMP(6) NOT NULL, picked BOOLEAN NOT NULL,"
                    + " picked_by VARCHAR(50), last_success TIMESTAMP(6) NULL, last_failure TIMESTAMP(6) NULL,"
                    + " consecutive_failures INT, last_heartbeat TIMESTAMP(6) NULL, version BIGINT NOT NULL,"
                    + " PRIMARY KEY (task_name, task_instance), INDEX execution_time_idx (execution_time),"
                    + " INDEX last_heartbeat_idx (last_heartbeat))");
        }
    }
}
