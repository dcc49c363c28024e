using System.Text;

namespace Registry.Core.Model;

/// <summary>A subject name split into its context and name: <c>:.ctx:name</c>, or <c>name</c> in the default context ".".</summary>
public readonly record struct QualifiedSubject(string Context, string Name)
{
    public const string DefaultContext = ".";

    public static QualifiedSubject Parse(string subject)
    {
        if (subject.Length > 2 && subject[0] == ':' && subject[1] == '.')
        {
            var end = subject.IndexOf(':', 2);
            if (end > 0)
            {
                var context = subject[1..end];
                return new QualifiedSubject(context == "." ? DefaultContext : context, subject[(end + 1)..]);
            }
        }
        return new QualifiedSubject(DefaultContext, subject);
    }

    /// <summary>The subject as stored: unqualified in the default context, <c>:.ctx:name</c> elsewhere.</summary>
    public override string ToString() => Context == DefaultContext ? Name : $":{Context}:{Name}";

    /// <summary>The context-level scope key (<c>:.ctx:</c>) used for context-wide config and mode.</summary>
    public string ContextScope => Context == DefaultContext ? "" : $":{Context}:";

    public bool IsContextScope => Name.Length == 0;

    /// <summary>
    /// The subject a reference names, seen from a schema in <paramref name="context"/>: as Confluent, a name without a
    /// context (or with the default one) is in the referrer's context, so <c>:.t1:s</c> referring to <c>r</c> means <c>:.t1:r</c>.
    /// </summary>
    public static string QualifyIn(string context, string subject)
    {
        var q = Parse(subject);
        return q.Context == DefaultContext && context != DefaultContext ? new QualifiedSubject(context, q.Name).ToString() : q.ToString();
    }

    /// <summary>Normalizes <c>:.:name</c> to <c>name</c>.</summary>
    public static string Normalize(string subject) => Parse(subject).ToString();

    /// <summary>Why a subject name is refused, or null when it is acceptable.</summary>
    public static string? Validate(string subject, int maxLength, bool allowContextScope = false)
    {
        if (subject.Length == 0) return "subject name is empty";
        if (subject.Length > maxLength) return $"subject name is longer than {maxLength} characters";
        foreach (var c in subject)
        {
            if (char.IsControl(c)) return "subject name contains a control character";
            if (char.IsSurrogate(c)) break;
        }
        for (var i = 0; i < subject.Length; i++)
        {
            if (char.IsHighSurrogate(subject[i]) && i + 1 < subject.Length && char.IsLowSurrogate(subject[i + 1])) { i++; continue; }
            if (char.IsSurrogate(subject[i])) return "subject name contains an unpaired surrogate";
        }
        if (!subject.IsNormalized(NormalizationForm.FormC)) return "subject name is not in Unicode normalization form C";
        var q = Parse(subject);
        if (q.Name.Length == 0 && !allowContextScope) return "subject name is empty";
        if (q.Name is "__GLOBAL" or "__EMPTY") return "subject name is reserved";
        if (q.Context == ".__GLOBAL" && (q.Name.Length > 0 || !allowContextScope)) return "the :.__GLOBAL: context holds only config and mode";
        return null;
    }
}
