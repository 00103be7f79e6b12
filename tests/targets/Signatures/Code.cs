// Code: methods whose IL, exception clauses and calls are known, for
// dumpil, ehinfo and clru. Code.Truth() compiles them (by calling them),
// then describes them from reflection: each method's MethodDesc, its IL
// as (offset, opcode name) pairs decoded with System.Reflection.Emit's
// own opcode table, its exception clauses, and the MethodDesc of the
// method Guarded calls; and a DynamicMethod's opcodes as emitted.
using System.Reflection;
using System.Reflection.Emit;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace Sig
{
    public static class Code
    {
        public static int s_counter;
        static DynamicMethod? s_dynamic;

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static int Helper(int x) => x * 2 + s_counter;

        [MethodImpl(MethodImplOptions.NoInlining)]
        public static int Guarded(int x)
        {
            try
            {
                if (x == 12345)
                    throw new InvalidOperationException("x");
                return Helper(x) + 1;
            }
            catch (InvalidOperationException)
            {
                return -1;
            }
            finally
            {
                s_counter++;
            }
        }

        static JsonArray Opcodes(byte[] il)
        {
            var one = new Dictionary<short, OpCode>();
            foreach (var f in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
            {
                var op = (OpCode)f.GetValue(null)!;
                one[op.Value] = op;
            }
            var list = new JsonArray();
            for (int pos = 0; pos < il.Length;)
            {
                int start = pos;
                short value = il[pos++];
                if (value == 0xfe)
                    value = unchecked((short)(0xfe00 | il[pos++]));
                var op = one[value];
                pos += op.OperandType switch
                {
                    OperandType.InlineNone => 0,
                    OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                    OperandType.InlineVar => 2,
                    OperandType.InlineI8 or OperandType.InlineR => 8,
                    OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, pos),
                    _ => 4,
                };
                list.Add(new JsonArray(start, op.Name));
            }
            return list;
        }

        public static JsonObject Truth()
        {
            Guarded(1);
            Guarded(12345);
            var guarded = typeof(Code).GetMethod(nameof(Guarded))!;
            var helper = typeof(Code).GetMethod(nameof(Helper))!;
            var body = guarded.GetMethodBody()!;
            var clauses = new JsonArray();
            foreach (var c in body.ExceptionHandlingClauses)
                clauses.Add(new JsonObject { ["kind"] = c.Flags.ToString(), ["tryOffset"] = c.TryOffset,
                                             ["tryLength"] = c.TryLength, ["handlerOffset"] = c.HandlerOffset,
                                             ["handlerLength"] = c.HandlerLength });
            // A dynamic method: ldarg.0 ldc.i4.0 add, a call, a string, then ret.
            var dm = new DynamicMethod("Dyn", typeof(int), new[] { typeof(int) }, typeof(Code).Module);
            var g = dm.GetILGenerator();
            g.Emit(OpCodes.Ldarg_0);
            g.Emit(OpCodes.Ldc_I4_0);
            g.Emit(OpCodes.Add);
            g.Emit(OpCodes.Call, helper);
            g.Emit(OpCodes.Ldstr, "dynamic text");
            g.Emit(OpCodes.Pop);
            g.Emit(OpCodes.Ret);
            var f = (Func<int, int>)dm.CreateDelegate(typeof(Func<int, int>));
            f(3);
            s_dynamic = dm;
            return new JsonObject
            {
                ["guarded"] = $"{(ulong)guarded.MethodHandle.Value:x}",
                ["helper"] = $"{(ulong)helper.MethodHandle.Value:x}",
                ["il"] = Convert.ToHexString(body.GetILAsByteArray()!),
                ["opcodes"] = Opcodes(body.GetILAsByteArray()!),
                ["clauses"] = clauses,
                ["dynamicOpcodes"] = new JsonArray("ldarg.0", "ldc.i4.0", "add", "call", "ldstr", "pop", "ret"),
            };
        }
    }
}
