// The plan runs anywhere; its tests run the VM scripts with bash, loop devices and certbot: Linux only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
