// Type-level checks of the model API, run by `deno check` (deno task check), never executed.
// Each `@ts-expect-error` line is a mistake the compiler must catch; if it stopped catching one,
// the directive itself would become an error.
import {
  type Attribute,
  DatetimeAttribute,
  EnumAttribute,
  type ExactNumber,
  JSONAttribute,
  ListAttribute,
  MapAttribute,
  Model,
  type ModelBatchWriter,
  NumberAttribute,
  NumberSetAttribute,
  NumberValue,
  StringAttribute,
  StringSetAttribute,
} from "../mod.ts";

class User extends Model.define({
  table: "users",
  attributes: {
    pk: StringAttribute({ partitionKey: true }),
    sk: StringAttribute({ sortKey: true }),
    name: StringAttribute(),
    email: StringAttribute({ required: true }),
    age: NumberAttribute({ default: 0 }),
    level: NumberAttribute({ default: 1, required: true }),
    status: EnumAttribute(["active", "banned"] as const, { default: "active" }),
    tags: ListAttribute({ of: StringAttribute(), default: () => [], required: true }),
    address: MapAttribute<{ city: string }>(),
    roles: StringSetAttribute(),
    settings: JSONAttribute<{ theme: string }>({ required: true }),
    createdAt: DatetimeAttribute({ format: "epoch" }),
  },
}) {
  greet(): string {
    return `Hello, ${this.name ?? "stranger"}`;
  }
}

export async function checks(): Promise<void> {
  const u = new User({
    pk: "USER#1",
    sk: "PROFILE",
    email: "j@example.com",
    settings: { theme: "dark" },
  });
  const age: number | null = u.age; // a default fills an absent value; null stays null
  const level: number = u.level; // required with a default: never null
  const name: string | null | undefined = u.name;
  const email: string = u.email;
  const status: "active" | "banned" | null = u.status;
  const tags: string[] = u.tags;
  const city: string | undefined = u.address?.city;
  const roles: Set<string> | null | undefined = u.roles;
  const created: Date | null | undefined = u.createdAt;
  const greeting: string = u.greet();
  const isModel: boolean = u instanceof Model;

  // @ts-expect-error: a misspelt attribute is not a property
  u.nmae;
  // @ts-expect-error: age is a number
  u.age = "thirty";
  // @ts-expect-error: name may be undefined
  const notOptional: string = u.name;
  // @ts-expect-error: age may be null (its default fills only an absent value)
  const notNull: number = u.age;
  // @ts-expect-error: a required attribute is never null
  u.email = null;
  // @ts-expect-error: a key is never null
  u.pk = null;
  u.name = null; // an optional attribute may be set to null (stored as NULL)
  u.age = null;
  // @ts-expect-error: a required attribute with a default is never null
  u.level = null;
  // @ts-expect-error: null is not accepted for required attributes on input either
  new User({ pk: "A", sk: "B", email: null, settings: { theme: "x" } });
  new User({ pk: "A", sk: "B", email: "x", settings: { theme: "x" }, name: null, age: null });
  // @ts-expect-error: the partition key must be given
  new User({ sk: "PROFILE", email: "x", settings: { theme: "x" } });
  // @ts-expect-error: a required attribute must be given
  new User({ pk: "A", sk: "B", settings: { theme: "x" } });
  // @ts-expect-error: unknown attribute
  new User({ pk: "A", sk: "B", email: "x", settings: { theme: "x" }, nmae: "John" });
  // @ts-expect-error: wrong type
  new User({ pk: "A", sk: "B", email: "x", settings: { theme: "x" }, age: "30" });
  // @ts-expect-error: not one of the enum values
  new User({ pk: "A", sk: "B", email: "x", settings: { theme: "x" }, status: "deleted" });
  // @ts-expect-error: a list of strings
  new User({ pk: "A", sk: "B", email: "x", settings: { theme: "x" }, tags: [1] });
  // @ts-expect-error: the JSON attribute's shape
  new User({ pk: "A", sk: "B", email: "x", settings: { colour: "x" } });
  // @ts-expect-error: a Date, not a string
  new User({ pk: "A", sk: "B", email: "x", settings: { theme: "x" }, createdAt: "2024-01-01" });

  // Statics return instances of the subclass.
  const found: User | undefined = await User.get({ pk: "USER#1", sk: "PROFILE" });
  const many: User[] = await User.batchGet([{ pk: "USER#1", sk: "PROFILE" }]);
  const dicts = await User.batchGet([{ pk: "USER#1", sk: "PROFILE" }], { asDict: true });
  const dictAge: number | null = dicts[0].age;
  // @ts-expect-error: plain objects have no methods
  dicts[0].greet();
  // @ts-expect-error: the sort key is missing from the key
  await User.get({ pk: "USER#1" });
  // @ts-expect-error: name is not a key attribute
  await User.get({ pk: "USER#1", sk: "PROFILE", name: "John" });
  // @ts-expect-error: key attribute of the wrong type
  await User.batchGet([{ pk: 1, sk: "PROFILE" }]);

  const writer: ModelBatchWriter<User, { pk: string; sk: string }> = User.batchWriter();
  writer.save(u);
  writer.delete(u);
  writer.delete({ pk: "USER#2", sk: "PROFILE" });
  // @ts-expect-error: the writer takes instances, not plain items
  writer.save({ pk: "USER#3", sk: "PROFILE", email: "x" });
  // @ts-expect-error: a key needs the sort key
  writer.delete({ pk: "USER#2" });
  await writer.close();

  const metrics: number | undefined = User.getLastMetrics()?.requests;
  const total: number = User.getTotalMetrics().operations;

  void [
    age,
    level,
    name,
    email,
    status,
    tags,
    city,
    roles,
    created,
    greeting,
    isModel,
    notOptional,
  ];
  void notNull;
  void [found, many, dictAge, metrics, total];

  // Statics keep the subclass's methods and attribute types.
  const hello: string | undefined = found?.greet();
  // @ts-expect-error: age is a number on instances read back too
  const wrongAge: string | undefined = found?.age;
  void [hello, wrongAge];
}

// @ts-expect-error: a list cannot be a key
ListAttribute({ partitionKey: true });
// @ts-expect-error: a number's default must be a number
NumberAttribute({ default: "0" });
// @ts-expect-error: an enum's default must be one of its values
EnumAttribute(["a", "b"] as const, { default: "c" });
const shadowing = { pk: StringAttribute({ partitionKey: true }), save: StringAttribute() };
// @ts-expect-error: attributes cannot shadow instance methods
Model.define({ table: "t", attributes: shadowing });

// Both call styles make attributes.
const viaNew = new StringAttribute({ partitionKey: true });
class Tag extends Model.define({
  table: "tags",
  attributes: { id: viaNew, label: new StringAttribute() },
}) {}
export const tag: Tag = new Tag({ id: "t1" });

// Exact numbers: typed as number | bigint | NumberValue, narrowed before arithmetic.
class Ledger extends Model.define({
  table: "ledger",
  attributes: {
    id: NumberAttribute({ partitionKey: true, exact: true }),
    total: NumberAttribute({ exact: true, default: 0n }),
    count: NumberAttribute({ default: 0, required: true }),
  },
}) {}
const ledger = new Ledger({ id: 1n });
export const exactTotal: ExactNumber | null = ledger.total;
export const plainCount: number = ledger.count + 1;
// @ts-expect-error: an exact number may be a bigint or NumberValue
export const notPlain: number = ledger.total;
// @ts-expect-error: exact numbers take numbers, bigints and NumberValues only
NumberAttribute({ exact: true, default: "0" });
// @ts-expect-error: a plain number attribute does not take a bigint
NumberAttribute({ default: 0n });
export const fromValue: Ledger = new Ledger({ id: new NumberValue("1.5"), total: 2 });

// Exact number sets.
const exactIds = NumberSetAttribute({ exact: true });
export const exactMember: Set<ExactNumber> = new Set([1n, new NumberValue("1.5")]);
exactIds.parse(exactMember);
// @ts-expect-error: a plain number set holds numbers only
export const plainSet: Attribute<Set<number>> = NumberSetAttribute({ default: new Set([1n]) });
