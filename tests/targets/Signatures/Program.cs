// Signatures: a few methods and a field with known signatures. The program
// reads its own assembly with System.Reflection.Metadata, finds each
// signature blob in the image the runtime mapped (at Marshal.GetHINSTANCE:
// mapped by RVA or flat by file offset, whichever holds the metadata), and
// prints each blob's address with its text as SOS's dumpsig writes it,
// rendered here by SRM's own signature decoder: with names (given the
// module) and with tokens in hex (no module). Also the address of a
// method's first parameter type (dumpsigelem), and of an invalid blob in
// native memory.
using System.Collections.Immutable;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;

namespace Sig
{
    public struct Point { public int X, Y; }

    public class Outer { public class Inner { } }

    public class Holder<T>
    {
        public T? Value;
        // virtual: its `in` parameter carries modreq(InAttribute), a CMOD_REQD.
        public virtual T? Get(int[,] grid, in Point p, Outer.Inner inner) => Value;
    }

    public static class Shapes
    {
        public static Dictionary<string, int[]>? s_table;
        public static volatile int s_flag;

        public static List<string> Static(Dictionary<int, DateTime> d, ref long x) => new();
        public static T Generic<T, U>(T[] a, U u, Holder<T> h) => a[0];
        public static unsafe void Pointers(byte* p, object o, IntPtr i, char c, double r, bool b) { }
    }

    public class Instance
    {
        public void Method(string s, int i) { }
    }

    // SOS's text of a signature element, from SRM's decoder.
    sealed class SosText : ISignatureTypeProvider<string, object?>
    {
        readonly bool _names;
        public SosText(bool names) { _names = names; }

        public string GetPrimitiveType(PrimitiveTypeCode code) => code switch
        {
            PrimitiveTypeCode.Void => "Void", PrimitiveTypeCode.Boolean => "Boolean", PrimitiveTypeCode.Char => "Char",
            PrimitiveTypeCode.SByte => "I1", PrimitiveTypeCode.Byte => "U1", PrimitiveTypeCode.Int16 => "I2",
            PrimitiveTypeCode.UInt16 => "U2", PrimitiveTypeCode.Int32 => "I4", PrimitiveTypeCode.UInt32 => "U4",
            PrimitiveTypeCode.Int64 => "I8", PrimitiveTypeCode.UInt64 => "U8", PrimitiveTypeCode.Single => "R4",
            PrimitiveTypeCode.Double => "R8", PrimitiveTypeCode.String => "String", PrimitiveTypeCode.IntPtr => "IntPtr",
            PrimitiveTypeCode.UIntPtr => "UIntPtr", PrimitiveTypeCode.Object => "Object",
            PrimitiveTypeCode.TypedReference => "TypedByRef", _ => throw new NotSupportedException(code.ToString()),
        };

        static string Kind(byte rawTypeKind) => rawTypeKind == 0x11 ? "ValueType " : "Class ";

        public string GetTypeFromDefinition(MetadataReader r, TypeDefinitionHandle h, byte kind)
        {
            if (!_names)
                return Kind(kind) + $"0x{MetadataTokens.GetToken(h):x8}";
            var t = r.GetTypeDefinition(h);
            string ns = r.GetString(t.Namespace);
            return Kind(kind) + (ns.Length > 0 && !t.IsNested ? ns + "." : "") + r.GetString(t.Name);
        }

        public string GetTypeFromReference(MetadataReader r, TypeReferenceHandle h, byte kind)
        {
            if (!_names)
                return Kind(kind) + $"0x{MetadataTokens.GetToken(h):x8}";
            var t = r.GetTypeReference(h);
            string ns = r.GetString(t.Namespace);
            return Kind(kind) + (ns.Length > 0 ? ns + "." : "") + r.GetString(t.Name);
        }

        public string GetTypeFromSpecification(MetadataReader r, object? c, TypeSpecificationHandle h, byte kind) =>
            Kind(kind) + $"{MetadataTokens.GetToken(h):x}";
        public string GetSZArrayType(string e) => "SZArray " + e;
        public string GetByReferenceType(string e) => "ByRef " + e;
        public string GetPointerType(string e) => "Ptr " + e;
        public string GetPinnedType(string e) => "PINNED " + e;
        public string GetGenericInstantiation(string g, ImmutableArray<string> args) => g + "<" + string.Join(",", args) + ">";
        public string GetGenericTypeParameter(object? c, int i) => "!" + i;
        public string GetGenericMethodParameter(object? c, int i) => "!!" + i;
        public string GetModifiedType(string modifier, string unmodified, bool required) =>
            (required ? "CMOD_REQD " : "CMOD_OPT ") + modifier.Substring(modifier.IndexOf(' ') + 1) + " " + unmodified;
        public string GetFunctionPointerType(MethodSignature<string> s) => throw new NotSupportedException();

        public string GetArrayType(string e, ArrayShape shape)
        {
            // SOS's layout, spaces and all: {type, rank sizes-count[ ]sizes... bounds-count bounds... }
            var sb = new StringBuilder("MDArray {" + e + ", " + shape.Rank);
            if (shape.Rank == 0)
                return sb.ToString();
            sb.Append(' ').Append(shape.Sizes.Length);
            if (shape.Sizes.Length == 0)
                sb.Append(' ');
            foreach (int s in shape.Sizes)
                sb.Append(s).Append(' ');
            sb.Append(shape.LowerBounds.Length).Append(' ');
            foreach (int b in shape.LowerBounds)
                sb.Append(b).Append(' ');
            return sb.Append('}').ToString();
        }
    }

    static class Program
    {
        static string Method(MethodSignature<string> s)
        {
            var sb = new StringBuilder("[DEFAULT] ");
            if (s.Header.IsInstance)
                sb.Append("[hasThis] ");
            if (s.Header.IsGeneric)
                sb.Append("[generic:").Append(s.GenericParameterCount).Append("] ");
            return sb.Append(s.ReturnType).Append(" (").Append(string.Join(",", s.ParameterTypes)).Append(')').ToString();
        }

        [DllImport("libc", EntryPoint = "mmap")]
        static extern nint Mmap(nint addr, nint length, int prot, int flags, int fd, nint offset);

        // Whether an address lies in some readable mapping of this process.
        static bool MappedAt(ulong address)
        {
            foreach (string line in File.ReadAllLines("/proc/self/maps"))
            {
                var f = line.Split(' ', 3);
                var range = f[0].Split('-');
                if (address >= Convert.ToUInt64(range[0], 16) && address + 4 <= Convert.ToUInt64(range[1], 16))
                    return f[1][0] == 'r';
            }
            return false;
        }

        static unsafe int Main()
        {
            string path = typeof(Program).Assembly.Location;
            using var pe = new PEReader(File.OpenRead(path));
            var md = pe.GetMetadataReader();
            var named = new SignatureDecoder<string, object?>(new SosText(true), md, null);
            var hex = new SignatureDecoder<string, object?>(new SosText(false), md, null);
            // Where the runtime mapped this file (Marshal.GetHINSTANCE says -1 off Windows): each mapping of
            // it from file offset 0, and in it the metadata by RVA (mapped layout) or by file offset (flat).
            int rva = pe.PEHeaders.CorHeader!.MetadataDirectory.RelativeVirtualAddress;
            int offset = pe.PEHeaders.MetadataStartOffset;
            nint image = 0, mdStart = 0;
            foreach (string line in File.ReadAllLines("/proc/self/maps"))
            {
                var f = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
                if (f.Length < 6 || f[5].Trim() != path || Convert.ToUInt64(f[2], 16) != 0)
                    continue;
                var range = f[0].Split('-');
                ulong lo = Convert.ToUInt64(range[0], 16), hi = Convert.ToUInt64(range[1], 16);
                // The mapping of offset 0 may be short (the rest mapped after it): read only inside the file's size.
                long size = new FileInfo(path).Length;
                foreach (int at in new[] { offset, rva })
                {
                    if (at + 4 > size && at == offset)
                        continue;
                    if ((ulong)at + 4 > hi - lo && !MappedAt(lo + (ulong)at))
                        continue;
                    if (Marshal.ReadInt32((nint)lo + at) == 0x424A5342) // "BSJB"
                    {
                        image = (nint)lo;
                        mdStart = (nint)lo + at;
                        break;
                    }
                }
                if (mdStart != 0)
                    break;
            }
            if (mdStart == 0)
                throw new InvalidOperationException("the metadata is not where the image says");

            nint Address(BlobReader r) => mdStart + (nint)(r.StartPointer - md.MetadataPointer);
            var methods = new JsonObject();
            foreach (var h in md.MethodDefinitions)
            {
                var m = md.GetMethodDefinition(h);
                string type = md.GetString(md.GetTypeDefinition(m.GetDeclaringType()).Name);
                string name = type + "." + md.GetString(m.Name);
                if (!new[] { "Shapes.Static", "Shapes.Generic", "Shapes.Pointers", "Holder`1.Get", "Instance.Method" }.Contains(name))
                    continue;
                var blob = md.GetBlobReader(m.Signature);
                nint at = Address(blob);
                // The bytes in memory are the bytes of the file.
                var inMemory = new byte[blob.Length];
                Marshal.Copy(at, inMemory, 0, blob.Length);
                if (!inMemory.AsSpan().SequenceEqual(md.GetBlobBytes(m.Signature)))
                    throw new InvalidOperationException("the blob of " + name + " differs in memory");
                // The first parameter's type: after the header, the generic count, the count and the return type.
                var r = blob;
                var header = r.ReadSignatureHeader();
                if (header.IsGeneric)
                    r.ReadCompressedInteger();
                r.ReadCompressedInteger();
                named.DecodeType(ref r);
                nint param = at + r.Offset;
                var pr = r;
                var hb = md.GetBlobReader(m.Signature);
                methods[name] = new JsonObject
                {
                    ["address"] = $"{(ulong)at:x}",
                    ["length"] = blob.Length,
                    ["bytes"] = Convert.ToHexString(md.GetBlobBytes(m.Signature)),
                    ["text"] = Method(named.DecodeMethodSignature(ref blob)),
                    ["hex"] = Method(hex.DecodeMethodSignature(ref hb)),
                    ["param"] = $"{(ulong)param:x}",
                    ["paramText"] = named.DecodeType(ref r),
                    ["paramHex"] = hex.DecodeType(ref pr),
                };
            }
            var fields = new JsonObject();
            foreach (var fh in md.FieldDefinitions)
            {
                var f = md.GetFieldDefinition(fh);
                string name = md.GetString(f.Name);
                if (name != "s_table" && name != "s_flag")
                    continue;
                var fblob = md.GetBlobReader(f.Signature);
                nint at = Address(fblob);
                var hb = fblob;
                fields[name] = new JsonObject
                {
                    ["address"] = $"{(ulong)at:x}",
                    ["text"] = "[FIELD] " + named.DecodeFieldSignature(ref fblob) + " ",
                    ["hex"] = "[FIELD] " + hex.DecodeFieldSignature(ref hb) + " ",
                };
            }
            // A blob no signature can be: a parameter of element type 0x17 (unused).
            nint bad = Marshal.AllocHGlobal(16);
            Marshal.Copy(new byte[] { 0x00, 0x01, 0x01, 0x17, 0, 0, 0, 0 }, 0, bad, 8);
            // A blob cut by unreadable memory: its last bytes end a page of a file mapping whose next page
            // lies past the end of the file. That page stays mapped (nothing else can take its place), yet
            // no one can read it, not even a debugger through ptrace (a PROT_NONE page it could read).
            string backing = Path.Combine(Path.GetTempPath(), $"signatures-{Environment.ProcessId}.page");
            nint pages;
            using (var fs = new FileStream(backing, FileMode.Create, FileAccess.ReadWrite))
            {
                fs.SetLength(4096);
                pages = Mmap(0, 8192, 3 /* read, write */, 0x01 /* shared */,
                             (int)fs.SafeFileHandle.DangerousGetHandle(), 0);
            }
            File.Delete(backing);
            if (pages == -1)
                throw new InvalidOperationException("mmap failed");
            nint cut = pages + 4096 - 4;
            Marshal.Copy(new byte[] { 0x20, 0x02, 0x01, 0x0e }, 0, cut, 4); // a second parameter is missing
            // The runtime's Module of this assembly: RuntimeModule keeps it in m_pData.
            var pData = typeof(Program).Module.GetType().GetField("m_pData",
                System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
            nint module = (nint)pData.GetValue(typeof(Program).Module)!;
            var truth = new JsonObject
            {
                ["module"] = $"{(ulong)module:x}",
                ["pid"] = Environment.ProcessId,
                ["runtimeDirectory"] = System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(),
                ["image"] = $"{(ulong)image:x}",
                ["layout"] = mdStart == image + rva ? "mapped" : "flat",
                ["methods"] = methods,
                ["fields"] = fields,
                ["invalid"] = $"{(ulong)bad:x}",
                ["cut"] = $"{(ulong)cut:x}",
                ["code"] = Code.Truth(),
            };
            Console.WriteLine("TRUTH " + truth.ToJsonString());
            Console.WriteLine("READY");
            Console.Out.Flush();
            Thread.Sleep(Timeout.Infinite);
            return 0;
        }
    }
}
