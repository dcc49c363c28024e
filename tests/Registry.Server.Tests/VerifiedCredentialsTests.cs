using Registry.Server.Security;
using Registry.Testing;

namespace Registry.Server.Tests;

/// <summary>The cache of basic credentials that verified: it answers only for the same name, password and stored hash, in time.</summary>
public sealed class VerifiedCredentialsTests
{
    [Fact]
    public void A_credential_is_known_only_with_its_own_password_and_hash_until_it_expires()
    {
        var clock = new ManualClock();
        var verified = new VerifiedCredentials(clock, TimeSpan.FromMinutes(5), capacity: 100);
        Assert.False(verified.Contains("alice:pw"u8, "PBKDF2$1"));
        verified.Add("alice:pw"u8, "PBKDF2$1");
        Assert.True(verified.Contains("alice:pw"u8, "PBKDF2$1"));
        Assert.False(verified.Contains("alice:pw2"u8, "PBKDF2$1"));
        Assert.False(verified.Contains("alice:PW"u8, "PBKDF2$1"));
        Assert.False(verified.Contains("alice:p"u8, "PBKDF2$1"));
        // The user's hash changed (a new password in the users file): the old one no longer counts.
        Assert.False(verified.Contains("alice:pw"u8, "PBKDF2$2"));
        clock.Now += TimeSpan.FromMinutes(5);
        Assert.False(verified.Contains("alice:pw"u8, "PBKDF2$1"));
    }

    [Fact]
    public void The_entries_stay_within_their_bound()
    {
        var verified = new VerifiedCredentials(new ManualClock(), TimeSpan.FromMinutes(5), capacity: 3);
        static byte[] Credentials(int i) => System.Text.Encoding.UTF8.GetBytes($"user{i}:pw");
        for (var i = 0; i < 10; i++) verified.Add(Credentials(i), "h");
        Assert.True(Enumerable.Range(0, 10).Count(i => verified.Contains(Credentials(i), "h")) <= 3);
        Assert.True(verified.Contains("user9:pw"u8, "h"));
    }
}
