/**
 * Projection expressions (`ProjectionExpression` with `ExpressionAttributeNames`, and the legacy
 * `AttributesToGet`) for the embedded backends: parsing with DynamoDB's checks and messages, and
 * applying a projection to a stored item.
 *
 * @module
 */

import type { AttributeMap, AttributeValue } from "../wire/types.ts";
import { getOwn, setOwn, validationError } from "./_validate.ts";

/** One step of a document path: an attribute name or a list index. */
export type PathElement = string | number;

/** A parsed projection: the document paths to keep. */
export interface Projection {
  /** The paths, names resolved. */
  paths: PathElement[][];
  /** Top-level names that are used with a nested path (`a.b`, `a[0]`). */
  nested: Set<string>;
}

// DynamoDB's reserved words, from the "Reserved words in DynamoDB" page of its developer guide.
const RESERVED_WORDS =
  "ABORT ABSOLUTE ACTION ADD AFTER AGENT AGGREGATE ALL ALLOCATE ALTER ANALYZE AND ANY " +
  "ARCHIVE ARE ARRAY AS ASC ASCII ASENSITIVE ASSERTION ASYMMETRIC AT ATOMIC ATTACH " +
  "ATTRIBUTE AUTH AUTHORIZATION AUTHORIZE AUTO AVG BACK BACKUP BASE BATCH BEFORE BEGIN " +
  "BETWEEN BIGINT BINARY BIT BLOB BLOCK BOOLEAN BOTH BREADTH BUCKET BULK BY BYTE CALL " +
  "CALLED CALLING CAPACITY CASCADE CASCADED CASE CAST CATALOG CHAR CHARACTER CHECK CLASS " +
  "CLOB CLOSE CLUSTER CLUSTERED CLUSTERING CLUSTERS COALESCE COLLATE COLLATION COLLECTION " +
  "COLUMN COLUMNS COMBINE COMMENT COMMIT COMPACT COMPILE COMPRESS CONDITION CONFLICT " +
  "CONNECT CONNECTION CONSISTENCY CONSISTENT CONSTRAINT CONSTRAINTS CONSTRUCTOR CONSUMED " +
  "CONTINUE CONVERT COPY CORRESPONDING COUNT COUNTER CREATE CROSS CUBE CURRENT CURSOR CYCLE " +
  "DATA DATABASE DATE DATETIME DAY DEALLOCATE DEC DECIMAL DECLARE DEFAULT DEFERRABLE " +
  "DEFERRED DEFINE DEFINED DEFINITION DELETE DELIMITED DEPTH DEREF DESC DESCRIBE DESCRIPTOR " +
  "DETACH DETERMINISTIC DIAGNOSTICS DIRECTORIES DISABLE DISCONNECT DISTINCT DISTRIBUTE DO " +
  "DOMAIN DOUBLE DROP DUMP DURATION DYNAMIC EACH ELEMENT ELSE ELSEIF EMPTY ENABLE END EQUAL " +
  "EQUALS ERROR ESCAPE ESCAPED EVAL EVALUATE EXCEEDED EXCEPT EXCEPTION EXCEPTIONS EXCLUSIVE " +
  "EXEC EXECUTE EXISTS EXIT EXPLAIN EXPLODE EXPORT EXPRESSION EXTENDED EXTERNAL EXTRACT " +
  "FAIL FALSE FAMILY FETCH FIELDS FILE FILTER FILTERING FINAL FINISH FIRST FIXED FLATTERN " +
  "FLOAT FOR FORCE FOREIGN FORMAT FORWARD FOUND FREE FROM FULL FUNCTION FUNCTIONS GENERAL " +
  "GENERATE GET GLOB GLOBAL GO GOTO GRANT GREATER GROUP GROUPING HANDLER HASH HAVE HAVING " +
  "HEAP HIDDEN HOLD HOUR IDENTIFIED IDENTITY IF IGNORE IMMEDIATE IMPORT IN INCLUDING " +
  "INCLUSIVE INCREMENT INCREMENTAL INDEX INDEXED INDEXES INDICATOR INFINITE INITIALLY " +
  "INLINE INNER INNTER INOUT INPUT INSENSITIVE INSERT INSTEAD INT INTEGER INTERSECT " +
  "INTERVAL INTO INVALIDATE IS ISOLATION ITEM ITEMS ITERATE JOIN KEY KEYS LAG LANGUAGE " +
  "LARGE LAST LATERAL LEAD LEADING LEAVE LEFT LENGTH LESS LEVEL LIKE LIMIT LIMITED LINES " +
  "LIST LOAD LOCAL LOCALTIME LOCALTIMESTAMP LOCATION LOCATOR LOCK LOCKS LOG LOGED LONG LOOP " +
  "LOWER MAP MATCH MATERIALIZED MAX MAXLEN MEMBER MERGE METHOD METRICS MIN MINUS MINUTE " +
  "MISSING MOD MODE MODIFIES MODIFY MODULE MONTH MULTI MULTISET NAME NAMES NATIONAL NATURAL " +
  "NCHAR NCLOB NEW NEXT NO NONE NOT NULL NULLIF NUMBER NUMERIC OBJECT OF OFFLINE OFFSET OLD " +
  "ON ONLINE ONLY OPAQUE OPEN OPERATOR OPTION OR ORDER ORDINALITY OTHER OTHERS OUT OUTER " +
  "OUTPUT OVER OVERLAPS OVERRIDE OWNER PAD PARALLEL PARAMETER PARAMETERS PARTIAL PARTITION " +
  "PARTITIONED PARTITIONS PATH PERCENT PERCENTILE PERMISSION PERMISSIONS PIPE PIPELINED " +
  "PLAN POOL POSITION PRECISION PREPARE PRESERVE PRIMARY PRIOR PRIVATE PRIVILEGES PROCEDURE " +
  "PROCESSED PROJECT PROJECTION PROPERTY PROVISIONING PUBLIC PUT QUERY QUIT QUORUM RAISE " +
  "RANDOM RANGE RANK RAW READ READS REAL REBUILD RECORD RECURSIVE REDUCE REF REFERENCE " +
  "REFERENCES REFERENCING REGEXP REGION REINDEX RELATIVE RELEASE REMAINDER RENAME REPEAT " +
  "REPLACE REQUEST RESET RESIGNAL RESOURCE RESPONSE RESTORE RESTRICT RESULT RETURN " +
  "RETURNING RETURNS REVERSE REVOKE RIGHT ROLE ROLES ROLLBACK ROLLUP ROUTINE ROW ROWS RULE " +
  "RULES SAMPLE SATISFIES SAVE SAVEPOINT SCAN SCHEMA SCOPE SCROLL SEARCH SECOND SECTION " +
  "SEGMENT SEGMENTS SELECT SELF SEMI SENSITIVE SEPARATE SEQUENCE SERIALIZABLE SESSION SET " +
  "SETS SHARD SHARE SHARED SHORT SHOW SIGNAL SIMILAR SIZE SKEWED SMALLINT SNAPSHOT SOME " +
  "SOURCE SPACE SPACES SPARSE SPECIFIC SPECIFICTYPE SPLIT SQL SQLCODE SQLERROR SQLEXCEPTION " +
  "SQLSTATE SQLWARNING START STATE STATIC STATUS STORAGE STORE STORED STREAM STRING STRUCT " +
  "STYLE SUB SUBMULTISET SUBPARTITION SUBSTRING SUBTYPE SUM SUPER SYMMETRIC SYNONYM SYSTEM " +
  "TABLE TABLESAMPLE TEMP TEMPORARY TERMINATED TEXT THAN THEN THROUGHPUT TIME TIMESTAMP " +
  "TIMEZONE TINYINT TO TOKEN TOTAL TOUCH TRAILING TRANSACTION TRANSFORM TRANSLATE " +
  "TRANSLATION TREAT TRIGGER TRIM TRUE TRUNCATE TTL TUPLE TYPE UNDER UNDO UNION UNIQUE UNIT " +
  "UNKNOWN UNLOGGED UNNEST UNPROCESSED UNSIGNED UNTIL UPDATE UPPER URL USAGE USE USER USERS " +
  "USING UUID VACUUM VALUE VALUED VALUES VARCHAR VARIABLE VARIANCE VARINT VARYING VIEW " +
  "VIEWS VIRTUAL VOID WAIT WHEN WHENEVER WHERE WHILE WINDOW WITH WITHIN WITHOUT WORK " +
  "WRAPPED WRITE YEAR ZONE";

let reserved: Set<string> | undefined;

/** Whether DynamoDB reserves `name` in expressions (case-insensitive). */
export function isReserved(name: string): boolean {
  reserved ??= new Set(RESERVED_WORDS.split(" "));
  return reserved.has(name.toUpperCase());
}

function pathStr(path: readonly PathElement[]): string {
  return "[" + path.map((p) => typeof p === "number" ? `[${p}]` : p).join(", ") + "]";
}

/**
 * Parses a `ProjectionExpression`.
 *
 * @param expression The expression, e.g. `"#n, address.city, tags[0]"`.
 * @param names The request's `ExpressionAttributeNames`.
 * @param unused Names not yet used by any expression of the request; the ones used here are
 *   removed from it.
 * @throws {DynamoDBError} `ValidationException` with DynamoDB's message.
 */
export function parseProjection(
  expression: string,
  names: Record<string, string> | undefined,
  unused: Set<string>,
): Projection {
  if (expression === "") {
    throw validationError("Invalid ProjectionExpression: The expression can not be empty;");
  }
  let reserved: string | undefined;
  let undefinedName: string | undefined;
  let pos = 0;
  const text = expression;

  const syntaxError = (): never => {
    const rest = text.slice(pos);
    const token = rest.length ? (/^[A-Za-z0-9_#]+|^./.exec(rest)?.[0] ?? rest[0]) : "<EOF>";
    const near = text.slice(Math.max(0, pos - 10), pos + token.length + 10).trim();
    throw validationError(
      `Invalid ProjectionExpression: Syntax error; token: "${token}", near: "${near}"`,
    );
  };
  const skipSpace = () => {
    while (pos < text.length && " \t\r\n".includes(text[pos])) pos++;
  };
  const name = (): string => {
    const rest = text.slice(pos);
    const placeholder = /^#[A-Za-z0-9_]+/.exec(rest);
    if (placeholder) {
      pos += placeholder[0].length;
      const key = placeholder[0];
      if (!names || !Object.hasOwn(names, key)) {
        undefinedName ??= key;
        return key;
      }
      unused.delete(key);
      return names[key];
    }
    const identifier = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (!identifier) return syntaxError();
    pos += identifier[0].length;
    if (reserved === undefined && isReserved(identifier[0])) reserved = identifier[0];
    return identifier[0];
  };

  const paths: PathElement[][] = [];
  const nested = new Set<string>();
  for (;;) {
    skipSpace();
    const path: PathElement[] = [name()];
    for (;;) {
      if (text[pos] === ".") {
        pos++;
        path.push(name());
      } else if (text[pos] === "[") {
        const index = /^\[(\d+)\]/.exec(text.slice(pos));
        if (!index) {
          pos++;
          syntaxError();
        }
        pos += index![0].length;
        path.push(Number(index![1]));
      } else break;
    }
    if (path.length > 1) nested.add(path[0] as string);
    paths.push(path);
    skipSpace();
    if (pos === text.length) break;
    if (text[pos] !== ",") syntaxError();
    pos++;
  }

  if (reserved !== undefined) {
    throw validationError(
      `Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: ${reserved}`,
    );
  }
  if (undefinedName !== undefined) {
    throw validationError(
      `Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; attribute name: ${undefinedName}`,
    );
  }
  let conflict: string | undefined;
  for (let j = 1; j < paths.length; j++) {
    for (let i = 0; i < j; i++) {
      const relation = comparePaths(paths[i], paths[j]);
      const detail = `must remove or rewrite one of these paths; path one: ${
        pathStr(paths[i])
      }, path two: ${pathStr(paths[j])}`;
      if (relation === "overlap") {
        throw validationError(
          `Invalid ProjectionExpression: Two document paths overlap with each other; ${detail}`,
        );
      }
      if (relation === "conflict") {
        conflict ??=
          `Invalid ProjectionExpression: Two document paths conflict with each other; ${detail}`;
      }
    }
  }
  if (conflict) throw validationError(conflict);
  return { paths, nested };
}

function comparePaths(a: readonly PathElement[], b: readonly PathElement[]) {
  for (let i = 0; i < a.length && i < b.length; i++) {
    if (typeof a[i] !== typeof b[i]) return "conflict";
    if (a[i] !== b[i]) return "distinct";
  }
  return "overlap";
}

function resolve(path: readonly PathElement[], item: AttributeMap): AttributeValue | undefined {
  let current: AttributeValue | undefined = { M: item };
  for (const piece of path) {
    if (current === undefined) return undefined;
    if (typeof piece === "number") {
      current = "L" in current ? (current.L as AttributeValue[])[piece] : undefined;
    } else current = "M" in current ? getOwn(current.M as AttributeMap, piece) : undefined;
  }
  return current;
}

/**
 * The parts of `item` that a projection selects: nested paths keep their structure, and list
 * elements picked by index keep their relative order (the list is compacted), as in DynamoDB.
 */
export function applyProjection(item: AttributeMap, paths: readonly PathElement[][]): AttributeMap {
  const result: AttributeMap = {};
  const lists: AttributeValue[][] = [];
  for (const path of paths) {
    const found = resolve(path, item);
    if (found === undefined) continue;
    // deno-lint-ignore no-explicit-any
    let container: any = { M: result };
    for (let i = 0; i < path.length; i++) {
      const piece = path[i];
      const last = i === path.length - 1;
      if (typeof piece === "number") {
        if (!container.L) {
          container.L = [];
          lists.push(container.L);
        }
        container.L[piece] = last ? found : (container.L[piece] ?? {});
        container = container.L[piece];
      } else {
        container.M ??= {};
        setOwn(container.M, piece, last ? found : (getOwn(container.M, piece) ?? {}));
        container = container.M[piece];
      }
    }
  }
  for (const list of lists) {
    const dense = list.filter((v) => v !== undefined);
    list.length = 0;
    list.push(...dense);
  }
  return result;
}
